using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Net.WebSockets;
using System.Text;
using Proxy.Realtime;
using Proxy.Sessions;
using TestSupport;

namespace Proxy.Tests.Realtime;

/// <summary>The relay endpoint alone on Kestrel, in front of <see cref="FakeRealtimeUpstream"/>, with a <see cref="FakeSessionCache"/>.</summary>
public sealed class RelayHarness : IAsyncLifetime
{
    public const string PublicOrigin = "http://app.example.test";
    public const string AnonKey = "anon-project-key";
    public const int MaxMessageBytes = 64 * 1024;

    private WebApplication _app = null!;

    public FakeRealtimeUpstream Upstream { get; private set; } = null!;
    public FakeSessionCache Sessions { get; } = new(TimeProvider.System);
    public Uri RelayUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await FakeRealtimeUpstream.StartAsync();
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Supabase:Url"] = Upstream.Url,
            ["Supabase:AnonKey"] = AnonKey,
            ["Gateway:PublicOrigins:0"] = PublicOrigin,
            ["Gateway:SessionApiKey"] = "relay-tests-do-not-call-the-session-api",
            ["Gateway:Realtime:MaxMessageBytes"] = MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway:Realtime:CloseTimeout"] = "00:00:01",
        });
        builder.Services.AddSingleton<ISessionCache>(Sessions);
        builder.Services.AddRealtimeRelay();
        _app = builder.Build();
        _app.UseWebSockets();
        _app.MapRealtimeRelay();
        _app.MapGet("/alive", () => "ok");
        await _app.StartAsync();
        RelayUrl = new Uri($"ws://127.0.0.1:{port}{RealtimeRelayEndpoint.Path}");
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    public async Task<ClientWebSocket> ConnectAsync(string query = "vsn=2.0.0", string? cookie = null, string? origin = PublicOrigin)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        if (cookie is not null)
        {
            socket.Options.SetRequestHeader("Cookie", $"{FakeSessionCache.CookieName}={cookie}");
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.ConnectAsync(new Uri($"{RelayUrl}?{query}"), timeout.Token);
        return socket;
    }

    /// <summary>The upstream side of the connection the relay opened most recently.</summary>
    public async Task<UpstreamConnection> NextUpstreamAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await Upstream.Connections.ReadAsync(timeout.Token);
    }

    public static Task SendTextAsync(WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next whole message, or a close (Type = Close, the socket's CloseStatus set).</summary>
    public static async Task<ReceivedMessage> ReceiveAsync(WebSocket socket, TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(5));
        var buffer = new byte[1 << 20];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
        return new ReceivedMessage(result.MessageType, buffer[..length]);
    }

    public static async Task<ReceivedMessage> ReceiveFromUpstreamAsync(UpstreamConnection upstream, TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(5));
        return await upstream.Received.Reader.ReadAsync(timeout.Token);
    }
}
