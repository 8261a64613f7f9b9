using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using TestSupport;

namespace Proxy.Tests.Realtime;

/// <summary>A websocket server emulatorg in for Realtime: records what the relay sends and echoes it back.</summary>
public sealed class FakeRealtimeUpstream : IAsyncDisposable
{
    private FakeHost _host = null!;

    private FakeRealtimeUpstream()
    {
    }

    public string Url => _host.Url;

    public ChannelReader<UpstreamConnection> Connections => _connections.Reader;

    public int ConnectionCount => _count;

    private readonly Channel<UpstreamConnection> _connections = Channel.CreateUnbounded<UpstreamConnection>();
    private int _count;

    public static async Task<FakeRealtimeUpstream> StartAsync()
    {
        var upstream = new FakeRealtimeUpstream();
        upstream._host = await FakeHost.StartAsync(app => upstream.Serve(app));
        return upstream;
    }

    private void Serve(WebApplication app)
    {
        var upstream = this;
        app.UseWebSockets();
        app.Map("/realtime/v1/websocket", async context =>
        {
            if (context.Request.Query["reject"] == "401")
            {
                context.Response.StatusCode = 401;
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var connection = new UpstreamConnection(socket, context.Request.QueryString.Value ?? "", context.Request.Headers.Cookie.ToString());
            Interlocked.Increment(ref upstream._count);
            await upstream._connections.Writer.WriteAsync(connection);
            await connection.RunAsync();
        });
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}

public sealed record ReceivedMessage(WebSocketMessageType Type, byte[] Data)
{
    public string Text => Encoding.UTF8.GetString(Data);
}

public sealed class UpstreamConnection(WebSocket socket, string query, string cookieHeader)
{
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Query { get; } = query;
    public string CookieHeader { get; } = cookieHeader;
    public bool Echo { get; set; } = true;
    public Channel<ReceivedMessage> Received { get; } = Channel.CreateUnbounded<ReceivedMessage>();
    public ConcurrentQueue<ReceivedMessage> All { get; } = new();
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    public async Task SendTextAsync(string text)
    {
        await _send.WaitAsync();
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _send.Release();
        }
    }

    public void Abort() => socket.Abort();

    internal async Task RunAsync()
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult(socket.CloseStatus);
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }
                var message = new ReceivedMessage(result.MessageType, buffer[..length]);
                All.Enqueue(message);
                await Received.Writer.WriteAsync(message);
                if (Echo)
                {
                    await _send.WaitAsync();
                    try
                    {
                        await socket.SendAsync(message.Data, message.Type, true, CancellationToken.None);
                    }
                    finally
                    {
                        _send.Release();
                    }
                }
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or IOException)
        {
            _closed.TrySetResult(null);
        }
    }
}
