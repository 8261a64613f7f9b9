using System.Diagnostics;

namespace AppHost.Tests;

/// <summary>
/// The AppHost in containers mode, as on a machine with Docker/Podman and the Supabase CLI: the Redis container and
/// `supabase start`. Skipped, naming what is missing, where either is absent.
/// </summary>
public sealed class ContainersAppHostTests
{
    // The first `supabase start` pulls the Supabase images; later starts take seconds.
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(10);

    [ContainersAppHostFact]
    public async Task Sign_up_sign_in_use_supabase_and_sign_out_with_the_redis_container_and_the_supabase_cli_stack()
    {
        using var startup = new CancellationTokenSource(StartupTimeout);
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--LocalInfrastructure:Mode=containers", $"--LocalInfrastructure:ProxyPort={TestSupport.FreePort.Next()}"], startup.Token);
        await using var app = await appHost.BuildAsync(startup.Token);
        await app.StartAsync(startup.Token);

        var supabase = await app.ResourceNotifications.WaitForResourceAsync("supabase",
            e => e.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), startup.Token);
        Assert.True(supabase.Snapshot.ExitCode == 0,
            $"`supabase start` ended as '{supabase.Snapshot.State?.Text}' with exit code {supabase.Snapshot.ExitCode?.ToString() ?? "none"}; " +
            "try `supabase start` in the repo root to see why.");
        foreach (var resource in new[] { "redis", "sessionapi", "sampleweb", "proxy" })
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, WaitBehavior.StopOnResourceUnavailable, startup.Token);
        }
        var anonKey = await appHost.Resources.OfType<ParameterResource>().Single(p => p.Name == "supabase-anon-key").GetValueAsync(startup.Token);

        using var journey = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await GatewayJourney.RunAsync(app.GetEndpoint("proxy", "http"), new Uri("http://127.0.0.1:54321"), anonKey!, journey.Token);
    }
}

/// <summary>A [Fact] that needs a container engine that answers (`docker info`/`podman info`) and the Supabase CLI.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ContainersAppHostFactAttribute : FactAttribute
{
    public ContainersAppHostFactAttribute()
    {
        var missing = new List<string>();
        if (!Answers("docker") && !Answers("podman"))
        {
            missing.Add("a container engine that answers `docker info` or `podman info`");
        }
        if (!Answers("supabase", "--version"))
        {
            missing.Add("the Supabase CLI (`supabase` on PATH)");
        }
        if (missing.Count > 0)
        {
            Skip = $"Containers mode needs {string.Join(" and ", missing)}; emulator mode is covered by EmulatorAppHostTests.";
        }
    }

    private static bool Answers(string command, string argument = "info")
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, [argument]) { RedirectStandardOutput = true, RedirectStandardError = true });
            if (process is null)
            {
                return false;
            }
            process.StandardOutput.ReadToEndAsync();
            process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
