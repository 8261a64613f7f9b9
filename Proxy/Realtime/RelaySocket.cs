using System.Net.WebSockets;

namespace Proxy.Realtime;

/// <summary>
/// One leg of a relayed socket (the browser's or Realtime's) and the lock that keeps whole messages apart on it:
/// the pump forwarding into it, the token rotator and the closing handshake all send through this lock.
/// </summary>
internal sealed class RelaySocket(WebSocket socket) : IDisposable
{
    public WebSocket Socket { get; } = socket;

    public SemaphoreSlim SendLock { get; } = new(1, 1);

    public void Dispose() => SendLock.Dispose();
}

/// <summary>Which way a pump copies messages.</summary>
internal enum RelayDirection
{
    ClientToUpstream,
    UpstreamToClient,
}
