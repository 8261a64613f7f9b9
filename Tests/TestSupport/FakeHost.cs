using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace TestSupport;

/// <summary>
/// An in-process Kestrel app on a free loopback port, silent, for the fakes that stand in for a peer (Supabase, the
/// SessionApi, SampleWeb, Realtime): each fake only says what it serves.
/// </summary>
public sealed class FakeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeHost(WebApplication app, int port)
    {
        _app = app;
        Port = port;
        Url = $"http://127.0.0.1:{port}";
    }

    public int Port { get; }

    /// <summary>http://127.0.0.1:port, without a trailing slash.</summary>
    public string Url { get; }

    /// <summary>Builds the app, lets <paramref name="serve"/> add its middleware and endpoints, and starts listening.</summary>
    public static async Task<FakeHost> StartAsync(Action<WebApplication> serve, Action<WebApplicationBuilder>? configure = null)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        configure?.Invoke(builder);
        var app = builder.Build();
        serve(app);
        await app.StartAsync();
        return new FakeHost(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
