using System.Net.WebSockets;

namespace Proxy.Realtime;

/// <summary>What a pump and the token rotator need from the socket they work for: its closing handshake.</summary>
internal interface IRelayLifetime
{
    /// <summary>A close is under way: read until the peer's close frame, forward nothing more.</summary>
    bool Closing { get; }

    /// <summary>Cancelled when the sockets are dropped (waits on a send lock end with it).</summary>
    CancellationToken Aborted { get; }

    /// <summary>Starts closing both sides once; false when a close was already under way.</summary>
    bool BeginClose(WebSocketCloseStatus clientStatus, string reason, WebSocketCloseStatus upstreamStatus);

    /// <summary>The source sent its close frame: pass it on to the other side.</summary>
    Task ForwardCloseAsync(WebSocket source, RelaySocket destination);
}

/// <summary>
/// Copies messages from one socket to the other, frame by frame. Binary messages and text too large to inspect are
/// streamed as they come; a complete text message is shown to the <see cref="PhoenixInterceptor"/>, and unless it
/// is rewritten or dropped the received bytes are sent as they are, from the same pooled buffer. While the source
/// is idle the pump waits with a zero-byte receive and holds no buffer.
/// </summary>
internal sealed class RelayPump(
    RelaySocket source,
    RelaySocket destination,
    RelayDirection direction,
    PhoenixInterceptor interceptor,
    IRelayLifetime lifetime,
    RealtimeRelayOptions options,
    RealtimeTelemetry telemetry,
    ILogger logger)
{
    private const int ReceiveChunkBytes = 16 * 1024;

    private bool FromClient => direction == RelayDirection.ClientToUpstream;

    public async Task RunAsync()
    {
        var message = new PooledMessageBuffer(ReceiveChunkBytes);
        var holdingLock = false;   // a fragmented message is being streamed: nothing else may be sent in between
        long messageBytes = 0;
        var socket = source.Socket;
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult received;
                if (message.Length == 0 && !holdingLock)
                {
                    // Between messages: wait for the next frame without a buffer (a quiet socket holds none).
                    var next = socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                    if (!next.IsCompleted)
                    {
                        message.Release();
                    }
                    received = await next;
                    if (received.MessageType != WebSocketMessageType.Close && !received.EndOfMessage)
                    {
                        received = await socket.ReceiveAsync(message.GetMemory(), CancellationToken.None);
                    }
                }
                else
                {
                    received = await socket.ReceiveAsync(message.GetMemory(), CancellationToken.None);
                }

                if (received.MessageType == WebSocketMessageType.Close)
                {
                    if (holdingLock)
                    {
                        holdingLock = false;
                        destination.SendLock.Release(); // a half-sent fragmented message cannot be finished; the close ends it
                    }
                    await lifetime.ForwardCloseAsync(socket, destination);
                    return;
                }

                message.Advance(received.Count);
                messageBytes += received.Count;
                if (lifetime.Closing)
                {
                    message.Reset();
                    continue;
                }

                if (FromClient && messageBytes > options.MaxMessageBytes)
                {
                    lifetime.BeginClose(WebSocketCloseStatus.MessageTooBig, "message too big", WebSocketCloseStatus.NormalClosure);
                    message.Reset();
                    continue;
                }

                var streamed = received.MessageType == WebSocketMessageType.Binary || holdingLock ||
                    (!FromClient && messageBytes > options.MaxMessageBytes);
                if (streamed)
                {
                    // Binary frames are never rewritten, and server text too large to inspect is passed as it comes.
                    if (!holdingLock)
                    {
                        await destination.SendLock.WaitAsync(lifetime.Aborted);
                        holdingLock = true;
                    }
                    await destination.Socket.SendAsync(message.Written, received.MessageType, received.EndOfMessage, CancellationToken.None);
                    message.Reset();
                    if (received.EndOfMessage)
                    {
                        holdingLock = false;
                        destination.SendLock.Release();
                    }
                }
                else if (received.EndOfMessage)
                {
                    await RelayTextAsync(message.Written);
                    message.Reset();
                }

                if (received.EndOfMessage)
                {
                    telemetry.FrameRelayed(direction, received.MessageType == WebSocketMessageType.Binary);
                    messageBytes = 0;
                }
            }
        }
        catch (Exception exception) when (RealtimeRelayConnection.IsConnectionFailure(exception))
        {
            RealtimeLog.PumpFailed(logger, FromClient ? "client_to_upstream" : "upstream_to_client", exception);
            if (FromClient)
            {
                lifetime.BeginClose(WebSocketCloseStatus.EndpointUnavailable, "client went away", WebSocketCloseStatus.EndpointUnavailable);
            }
            else
            {
                lifetime.BeginClose(WebSocketCloseStatus.InternalServerError, "realtime connection lost", WebSocketCloseStatus.NormalClosure);
            }
        }
        finally
        {
            if (holdingLock)
            {
                destination.SendLock.Release();
            }
            message.Dispose();
        }
    }

    private async Task RelayTextAsync(ReadOnlyMemory<byte> text)
    {
        await destination.SendLock.WaitAsync(lifetime.Aborted);
        try
        {
            var payload = text;
            var forward = FromClient ? interceptor.FromClient(text, out payload) : interceptor.FromServer(text.Span);
            if (forward)
            {
                await destination.Socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }
        }
        finally
        {
            destination.SendLock.Release();
        }
    }
}
