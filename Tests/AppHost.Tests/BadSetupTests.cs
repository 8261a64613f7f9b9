using System.Net.Sockets;

namespace AppHost.Tests;

/// <summary>A machine that cannot run the AppHost gets told why at once, never a dashboard of resources waiting forever.</summary>
public sealed class BadSetupTests
{
    [Theory]
    [InlineData("EmulatorPort", "the Supabase emulator")]
    [InlineData("ProxyPort", "the Proxy")]
    public async Task A_busy_port_stops_the_apphost_before_anything_starts_naming_the_port_and_the_setting(string setting, string what)
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        var failure = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                ["--LocalInfrastructure:Mode=emulator", $"--LocalInfrastructure:{setting}={port}"], timeout.Token);
        });

        var message = string.Join(Environment.NewLine, Chain(failure).Select(e => e.Message));
        Assert.Contains($"Port {port} ({what}) is already in use", message);
        Assert.Contains($"LocalInfrastructure__{setting}=<port>", message);
    }

    [Fact]
    public async Task An_unknown_mode_is_refused_naming_the_choices()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var failure = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                ["--LocalInfrastructure:Mode=kubernetes"], timeout.Token);
        });
        var message = string.Join(Environment.NewLine, Chain(failure).Select(e => e.Message));
        Assert.Contains("LocalInfrastructure:Mode must be 'auto', 'containers' or 'emulator', not 'kubernetes'", message);
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}

/// <summary>`dotnet run --project AppHost` on a machine without redis-server and without a container engine.</summary>
public sealed class MissingRedisServerTests
{
    [Fact]
    public async Task Without_redis_server_or_a_container_engine_the_apphost_exits_at_once_with_the_install_command()
    {
        // A PATH holding only dotnet: no redis-server, no docker/podman (PostgreSQL is still found in /usr/lib/postgresql).
        var bin = Directory.CreateTempSubdirectory("apphost-path-");
        try
        {
            var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : Environment.ProcessPath!;
            File.CreateSymbolicLink(Path.Combine(bin.FullName, "dotnet"), dotnet);
            var start = new System.Diagnostics.ProcessStartInfo(dotnet,
            [
                "run", "--project", Projects.AppHost.ProjectPath, "--no-build", "--",
                $"--LocalInfrastructure:ProxyPort={TestSupport.FreePort.Next()}", $"--LocalInfrastructure:EmulatorPort={TestSupport.FreePort.Next()}",
            ])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["PATH"] = bin.FullName;
            start.Environment.Remove("ASPIRE_CONTAINER_RUNTIME");
            using var process = System.Diagnostics.Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);

            var console = await output + await error;
            Assert.Equal(1, process.ExitCode);
            Assert.Contains("Local infrastructure: Emulator mode", console);
            Assert.Contains("auto: no container runtime answered (no `docker` on PATH; no `podman` on PATH)", console);
            Assert.Contains("redis-server is not installed", console);
            Assert.Contains("sudo apt-get install -y redis-server", console);
            Assert.DoesNotContain("Unhandled exception", console);
            Assert.DoesNotContain("Distributed application starting", console); // nothing was started
        }
        finally
        {
            bin.Delete(recursive: true);
        }
    }
}
