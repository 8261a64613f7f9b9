using System.Net;
using System.Net.Sockets;

namespace AppHost.LocalInfrastructure;

/// <summary>
/// Checks, before anything starts, what the chosen mode needs from this machine, so a missing program or a busy port
/// ends the AppHost at once with the command that fixes it instead of leaving resources waiting in the dashboard.
/// </summary>
internal static class LocalPrerequisites
{
    private const string DebianInstall = "sudo apt-get install -y";

    public static void Check(LocalInfrastructureMode mode, LocalInfrastructureSettings settings)
    {
        var problems = new List<string>();
        if (mode == LocalInfrastructureMode.Emulator)
        {
            if (FindOnPath("redis-server") is null)
            {
                problems.Add($"redis-server is not installed. Install it ({DebianInstall} redis-server; macOS: brew install redis), " +
                    $"or start Docker/Podman and run with {LocalInfrastructureSettings.Section}__Mode=containers.");
            }
            if (!PostgresInstalled())
            {
                problems.Add($"PostgreSQL (initdb, pg_ctl) is not installed; the Supabase emulator starts its own database. " +
                    $"Install it ({DebianInstall} postgresql-15; macOS: brew install postgresql@15).");
            }
            AddIfBusy(problems, settings.EmulatorPort, "the Supabase emulator", $"{LocalInfrastructureSettings.Section}__EmulatorPort",
                "a Supabase CLI stack may be running: `supabase stop`");
        }
        else if (FindOnPath("supabase") is null)
        {
            problems.Add("The Supabase CLI (supabase) is not on PATH: install it (https://supabase.com/docs/guides/local-development/cli/getting-started), " +
                $"or run with {LocalInfrastructureSettings.Section}__Mode=emulator.");
        }
        AddIfBusy(problems, settings.ProxyPort, "the Proxy", $"{LocalInfrastructureSettings.Section}__ProxyPort",
            "another AppHost may still be running");
        if (problems.Count > 0)
        {
            throw new LocalSetupException(
                $"The AppHost cannot start in {mode} mode on this machine:{Environment.NewLine}" +
                string.Join(Environment.NewLine, problems.Select(p => "  - " + p)));
        }
    }

    public static string? FindOnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, OperatingSystem.IsWindows() ? command + ".exe" : command))
            .FirstOrDefault(File.Exists);

    /// <summary>Where the emulator's PostgresServer looks: PATH, then Debian's /usr/lib/postgresql/*/bin.</summary>
    private static bool PostgresInstalled() =>
        FindOnPath("initdb") is not null && FindOnPath("pg_ctl") is not null
        || (Directory.Exists("/usr/lib/postgresql")
            && Directory.GetDirectories("/usr/lib/postgresql").Any(d => File.Exists(Path.Combine(d, "bin", "initdb"))));

    private static void AddIfBusy(List<string> problems, int port, string what, string setting, string hint)
    {
        foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            try
            {
                using var listener = new TcpListener(address, port);
                listener.Start();
                listener.Stop();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                problems.Add($"Port {port} ({what}) is already in use ({hint}). Free it, or choose another port with {setting}=<port>.");
                return;
            }
            catch (SocketException)
            {
                // No IPv6 loopback on this machine: nothing to collide with there.
            }
        }
    }
}
