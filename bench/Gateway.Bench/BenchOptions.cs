using System.Globalization;

namespace Gateway.Bench;

/// <summary>Command line of the benchmark. Defaults are the full run; <c>--smoke</c> shrinks every phase to prove the harness.</summary>
public sealed record BenchOptions
{
    public bool Smoke { get; init; }

    /// <summary>Load before each scenario's measured runs, results discarded (JIT, connection pools, caches).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Length of each measured run (per scenario and connection count).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Length of the separate run that counts the Proxy's (and bare YARP's) allocations.</summary>
    public TimeSpan AllocationRun { get; init; } = TimeSpan.FromSeconds(4);

    public int[] Connections { get; init; } = [1, 16];

    /// <summary>Sequential sign-ins per path (direct and through the gateway, interleaved).</summary>
    public int SignIns { get; init; } = 200;

    public int Revocations { get; init; } = 50;

    public int IdleSessions { get; init; } = 2000;

    /// <summary>Sessions in the Proxy's cache for the scale row (scenario 9).</summary>
    public int ScaleSessions { get; init; } = 100_000;

    /// <summary>Concurrent Realtime sockets through one Proxy (scenario 9).</summary>
    public int ScaleSockets { get; init; } = 5000;

    /// <summary>Of those, the sockets held by one user who is then signed out everywhere.</summary>
    public int RevokeSockets { get; init; } = 100;

    /// <summary>Seconds the scale scenario waits at its two high-water marks (100,000 sessions, 5,000 sockets) so a heap dump can be taken.</summary>
    public int PauseForDumps { get; init; }

    /// <summary>Broadcasts in flight between the realtime publisher and receiver.</summary>
    public int RealtimeWindow { get; init; } = 32;

    /// <summary>Redis as the test fixture and the AppHost run it (AOF, fsync on every write) instead of snapshots only.</summary>
    public bool RedisFsyncAlways { get; init; }

    /// <summary>Log level of the Proxies (Warning, as a production config would set; Information = the built-in default).</summary>
    public string ProxyLogLevel { get; init; } = "Warning";

    /// <summary>The Proxies' rate limits (on, as shipped, with budgets the bench never reaches; off = the runs before issue 17).</summary>
    public bool RateLimits { get; init; } = true;

    public string OutputDirectory { get; init; } = Path.Combine(TestSupport.RepoPaths.Root, "bench", "results");

    /// <summary>Scenario groups to run (http, signin, realtime, revocation, memory, scale, cluster); empty = all.</summary>
    public HashSet<string> Only { get; init; } = [];

    public bool Runs(string group) => Only.Count == 0 || Only.Contains(group);

    public const string Usage = """
        Gateway benchmark (issue 7). Usage: ./bench/run.sh [options]
          --smoke              every phase ~1 s (harness check, figures meaningless)
          --warmup <s>         warm-up per scenario (default 5)
          --duration <s>       measured run per scenario and connection count (default 10)
          --connections 1,16   connection counts for the HTTP scenarios
          --sign-ins <n>       sequential sign-ins per path (default 200)
          --revocations <n>    revocations measured (default 50)
          --idle-sessions <n>  sessions cached for the memory measurement (default 2000)
          --scale-sessions <n> sessions cached for the scale row (default 100000)
          --scale-sockets <n>  concurrent Realtime sockets through one Proxy (default 5000)
          --revoke-sockets <n> of those, held by one user who is revoked everywhere (default 100)
          --pause-for-dumps <s> wait at the scale high-water marks, printing the Proxy's pid (e.g. for dotnet-gcdump collect -p)
          --redis-fsync-always Redis with appendfsync always (the AppHost's and the test fixture's setting) instead of snapshots only
          --no-rate-limits     the Proxies skip their rate limits (runs before issue 17 did: sign-in without the limiter's round trip)
          --proxy-log-level L  the Proxies' Logging:LogLevel:Default (default Warning; Information is what ships)
          --only <groups>      comma list of http,signin,realtime,revocation,memory,scale,cluster (scale needs memory)
          --out <dir>          where latest.json and latency.svg go (default bench/results)
        """;

    /// <summary>Null (after printing why) when the arguments are not understood.</summary>
    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions();
        if (args.Contains("--smoke"))
        {
            options = options with
            {
                Smoke = true,
                Warmup = TimeSpan.FromSeconds(1),
                Duration = TimeSpan.FromSeconds(1),
                AllocationRun = TimeSpan.FromSeconds(1),
                SignIns = 10,
                Revocations = 5,
                IdleSessions = 200,
                ScaleSessions = 1000,
                ScaleSockets = 200,
                RevokeSockets = 20,
            };
        }
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            try
            {
                options = args[i] switch
                {
                    "--smoke" => options,
                    "--proxy-log-level" => options with { ProxyLogLevel = Next() },
                    "--redis-fsync-always" => options with { RedisFsyncAlways = true },
                    "--no-rate-limits" => options with { RateLimits = false },
                    "--warmup" => options with { Warmup = Seconds(Next()) },
                    "--duration" => options with { Duration = Seconds(Next()) },
                    "--connections" => options with { Connections = [.. Next().Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))] },
                    "--sign-ins" => options with { SignIns = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--revocations" => options with { Revocations = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--idle-sessions" => options with { IdleSessions = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--scale-sessions" => options with { ScaleSessions = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--scale-sockets" => options with { ScaleSockets = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--revoke-sockets" => options with { RevokeSockets = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--pause-for-dumps" => options with { PauseForDumps = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--only" => options with { Only = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] },
                    "--out" => options with { OutputDirectory = Path.GetFullPath(Next()) },
                    "-h" or "--help" => throw new ArgumentException(""),
                    _ => throw new ArgumentException($"unknown option {args[i]}"),
                };
            }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
            {
                if (e.Message.Length > 0)
                {
                    Console.Error.WriteLine(e.Message);
                }
                Console.Error.WriteLine(Usage);
                return null;
            }
        }
        return options;
    }

    private static TimeSpan Seconds(string value)
    {
        var seconds = double.Parse(value, CultureInfo.InvariantCulture);
        return seconds >= 1 ? TimeSpan.FromSeconds(seconds) : throw new ArgumentException("durations are whole seconds ≥ 1 (wrk's resolution)");
    }
}
