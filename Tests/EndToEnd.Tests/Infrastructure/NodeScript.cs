using System.Diagnostics;
using System.Text.Json;
using TestSupport;

namespace EndToEnd.Tests.Infrastructure;

/// <summary>What a Node script printed: its last stdout line is parsed as JSON (the script's result).</summary>
public sealed record NodeResult(int ExitCode, JsonElement Output, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";
}

/// <summary>Runs the Node scripts in Tests/js (the real supabase-js client) as child processes.</summary>
public static class NodeScript
{
    public static string Directory { get; } = Path.Combine(RepoPaths.Root, "Tests", "js");

    public static async Task<NodeResult> RunAsync(string script, object? input, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "@supabase", "supabase-js")))
        {
            throw new InvalidOperationException("Tests/js/node_modules is missing: run `npm ci --prefix Tests/js` (test.sh does).");
        }

        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(Directory, script));
        info.Environment["INPUT"] = JsonSerializer.Serialize(input ?? new { });
        info.Environment["NODE_NO_WARNINGS"] = "1";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish within {timeout}: {await stderr}");
        }

        var output = await stdout;
        var lastLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        JsonElement parsed = default;
        if (lastLine is not null)
        {
            try
            {
                parsed = JsonDocument.Parse(lastLine).RootElement.Clone();
            }
            catch (JsonException)
            {
            }
        }
        return new NodeResult(process.ExitCode, parsed, output, await stderr);
    }
}

public static class NodeScriptStackExtensions
{
    /// <summary>Runs <c>node Tests/js/&lt;script&gt;</c> with this stack's URLs and keys in its environment.</summary>
    public static Task<NodeResult> RunNodeAsync(this TestStack stack, string script, object? input = null, TimeSpan? timeout = null) =>
        NodeScript.RunAsync(script, input, stack.NodeEnvironment, timeout ?? TimeSpan.FromSeconds(90));
}
