using Microsoft.Extensions.Configuration;

using System.Diagnostics;

namespace AppHost.LocalInfrastructure;

/// <summary>
/// Whether a container engine answers. A `docker` client on PATH is not enough (it is often installed without an
/// engine, or with the engine stopped): `info` has to reach the engine and succeed within a few seconds.
/// </summary>
internal static class ContainerRuntimeProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The runtime Aspire would use (ASPIRE_CONTAINER_RUNTIME / DcpPublisher:ContainerRuntime), else docker then podman.</summary>
    public static ContainerRuntimeAnswer Probe(IConfiguration configuration)
    {
        var configured = configuration["ASPIRE_CONTAINER_RUNTIME"] ?? configuration["DcpPublisher:ContainerRuntime"];
        string[] candidates = configured is { Length: > 0 } ? [configured] : ["docker", "podman"];
        var reasons = new List<string>();
        foreach (var runtime in candidates)
        {
            var (answered, reason) = Ask(runtime);
            if (answered)
            {
                return new ContainerRuntimeAnswer(runtime, $"`{runtime} info` answered");
            }
            reasons.Add(reason);
        }
        return new ContainerRuntimeAnswer(null, string.Join("; ", reasons));
    }

    private static (bool Answered, string Reason) Ask(string runtime)
    {
        var start = new ProcessStartInfo(runtime, ["info", "--format", "{{json .}}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (false, $"no `{runtime}` on PATH");
        }
        if (process is null)
        {
            return (false, $"`{runtime}` could not be started");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                return (false, $"`{runtime} info` did not answer within {Timeout.TotalSeconds:0} s");
            }
            if (process.ExitCode == 0)
            {
                return (true, "");
            }
            var firstLine = (error.Result + output.Result).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
            return (false, $"`{runtime} info` failed (exit {process.ExitCode}: {firstLine})");
        }
    }
}

/// <summary>The runtime that answered (null: none), and why, for the dashboard and the console.</summary>
internal sealed record ContainerRuntimeAnswer(string? Runtime, string Reason);
