using System.Diagnostics;
using System.Runtime.InteropServices;
using TestSupport;

namespace Gateway.Bench.Report;

/// <summary>What the figures were measured on.</summary>
public static class MachineProbe
{
    public static MachineInfo Describe() => new(
        CpuModel: ReadField("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        LogicalCores: Environment.ProcessorCount,
        Os: ReadField("/etc/os-release", "PRETTY_NAME", '=')?.Trim('"') ?? RuntimeInformation.OSDescription,
        Kernel: Environment.OSVersion.VersionString,
        DotnetRuntime: RuntimeInformation.FrameworkDescription,
        Commit: Run("git", "-C", RepoPaths.Root, "rev-parse", "--short=12", "HEAD") ?? "unknown",
        WorkTreeDirty: !string.IsNullOrWhiteSpace(Run("git", "-C", RepoPaths.Root, "status", "--porcelain", "--untracked-files=no")),
        Wrk: Load.Wrk.Version(),
        Redis: Run("redis-server", "--version") ?? "unknown",
        MemoryBytes: ReadMemTotal());

    /// <summary>The 1-minute load average (0 when unknown).</summary>
    public static double LoadAverage() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out var load) ? load : 0;

    private static string? ReadField(string file, string name, char separator = ':')
    {
        if (!File.Exists(file))
        {
            return null;
        }
        foreach (var line in File.ReadLines(file))
        {
            var parts = line.Split(separator, 2);
            if (parts.Length == 2 && parts[0].Trim() == name)
            {
                return parts[1].Trim();
            }
        }
        return null;
    }

    private static long ReadMemTotal()
    {
        var value = ReadField("/proc/meminfo", "MemTotal")?.Split(' ')[0];
        return long.TryParse(value, out var kb) ? kb * 1024 : 0;
    }

    private static string? Run(string file, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
