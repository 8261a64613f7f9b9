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
