using System.Diagnostics;
using System.Text.Json;
using Gateway.Bench.Report;
using Gateway.Bench.Scenarios;
using Gateway.Bench.Stack;

namespace Gateway.Bench;

/// <summary>Starts the stack, runs the scenario groups in order, then prints and writes the report.</summary>
public static class BenchRun
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var clock = Stopwatch.StartNew();
        void Log(string message) => Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] {message}");
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var ct = cancel.Token;

        var results = new BenchResults
        {
            StartedAt = DateTimeOffset.UtcNow, Smoke = options.Smoke, Machine = MachineProbe.Describe(), Options = options,
            LoadAverageAtStart = MachineProbe.LoadAverage(),
        };
        var failed = false;
        await using (var stack = await BenchStack.StartAsync(options, Log))
        {
            using var sessions = new SessionFactory(stack.SessionApi.Url, stack.SessionApiCallerKey);
            var session = await sessions.CreateAsync(SessionFactory.NewUserId(), ct);

            async Task Group(string name, Func<Task> run)
            {
                if (!options.Runs(name) || ct.IsCancellationRequested)
                {
                    return;
                }
                try
                {
                    await run();
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    failed = true;
                    results.Notes.Add($"{name} failed: {e.GetType().Name}: {e.Message}");
                    Log($"{name} FAILED: {e}");
                }
            }

            await Group("http", () => new HttpScenarios(stack, options, Log).RunAsync(results, session, ct));
            await Group("signin", () => new SignInScenario(stack, options, Log).RunAsync(results, sessions, ct));
            await Group("realtime", () => new RealtimeScenario(stack, options, Log).RunAsync(results, session, ct));
            await Group("revocation", () => new RevocationScenario(stack, options, Log).RunAsync(results, sessions, ct));
            await Group("memory", () => new MemoryScenario(stack, options, Log).RunAsync(results, sessions, ct));
            await Group("scale", () => new ScaleScenario(stack, options, Log).RunAsync(results, session, sessions, ct));
            await Group("cluster", () => new ClusterScenario(stack, options, Log).RunAsync(results, ct));

            if (stack.Proxy.RecentOutput.Contains("Unhandled exception", StringComparison.OrdinalIgnoreCase) ||
                stack.EmulatorProxy.RecentOutput.Contains("Unhandled exception", StringComparison.OrdinalIgnoreCase))
            {
                results.Notes.Add("A Proxy logged an unhandled exception during the run (see its output).");
            }
        }

        results.LoadAverageAtEnd = MachineProbe.LoadAverage();
        if (Math.Max(results.LoadAverageAtStart, results.LoadAverageAtEnd) > results.Machine.LogicalCores)
        {
            results.Notes.Add($"The machine was busy with other work (load average {results.LoadAverageAtStart:0.0} at the start, " +
                $"{results.LoadAverageAtEnd:0.0} at the end, {results.Machine.LogicalCores} cores): latency tails and ratios are disturbed; rerun on a quiet machine.");
        }
        results.Targets = Targets.Evaluate(results);
        var table = TableWriter.Write(results);
        Console.WriteLine();
        Console.Write(table);

        Directory.CreateDirectory(options.OutputDirectory);
        var name = options.Smoke ? "smoke" : "latest";
        var jsonPath = Path.Combine(options.OutputDirectory, name + ".json");
        var svgPath = Path.Combine(options.OutputDirectory, options.Smoke ? "smoke-latency.svg" : "latency.svg");
        await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(results, Json), CancellationToken.None);
        await File.WriteAllTextAsync(svgPath, Chart(results), CancellationToken.None);
        Console.WriteLine($"Wrote {Path.GetRelativePath(Environment.CurrentDirectory, jsonPath)} and {Path.GetRelativePath(Environment.CurrentDirectory, svgPath)} in {clock.Elapsed:mm\\:ss}.");
        return failed ? 1 : 0;
    }

    private static string Chart(BenchResults r)
    {
        var panels = new List<SvgChart.Panel>();
        foreach (var connections in r.Http.Select(h => h.Connections).Distinct())
        {
            panels.Add(new($"HTTP GET, {connections} connection{(connections == 1 ? "" : "s")} (wrk)",
                [.. r.Http.Where(h => h.Connections == connections).Select(h => new SvgChart.Series($"{h.Name} ({h.RequestsPerSecond:N0}/s)", h.Latency.Curve))]));
        }
        if (r.SignIn.Count > 0)
        {
            panels.Add(new("Password sign-in, 1 connection, sequential", [.. r.SignIn.Where(s => s.Path != SignInScenario.SessionApiCreate).Select(s => new SvgChart.Series(s.Path, s.Latency.Curve))]));
        }
        if (r.Realtime.Count > 0)
        {
            panels.Add(new("Realtime broadcast delivery latency", [.. r.Realtime.Select(x => new SvgChart.Series($"vsn {x.Serializer} {x.Path}", x.Latency.Curve))]));
        }
        if (r.Revocation is { } v)
        {
            panels.Add(new("Revocation", [new("ack → next request 401", v.HttpRefusedAfterAck.Curve), new("request → socket closed", v.SocketClosedAfterRequest.Curve)]));
        }
        if (r.Scale.Sessions.Count > 0)
        {
            panels.Add(new("Warm session, 1 connection, by cached sessions", [.. r.Scale.Sessions.Select(s => new SvgChart.Series($"{s.Cached:N0} cached", s.Warm.Curve))]));
        }
        if (r.Scale.Sockets is { } sockets)
        {
            panels.Add(new($"Revoke-all: request → socket closed ({sockets.UserSockets} of {sockets.Sockets:N0} sockets)", [new("close frame received", sockets.Closed.Curve)]));
        }
        return SvgChart.Render($"Gateway latency distributions — {r.StartedAt:yyyy-MM-dd} {r.Machine.Commit}{(r.Smoke ? " (smoke)" : "")}", panels);
    }
}
