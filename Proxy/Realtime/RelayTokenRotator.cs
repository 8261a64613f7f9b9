using System.Globalization;
using System.Net.WebSockets;
using Proxy.Sessions;

namespace Proxy.Realtime;

/// <summary>
/// Before the injected token expires, asks the session cache for a fresh one and pushes it to every joined channel
/// (Realtime closes channels whose token expired, and the client does not know it should refresh). An ended
/// session closes the socket with 4001; a session store that stays unreachable past the token's expiry, with 1013.
/// </summary>
internal sealed class RelayTokenRotator(
    string? cookie,
    PhoenixSerializer serializer,
    PhoenixInterceptor interceptor,
    RelaySocket upstream,
    IRelayLifetime lifetime,
    ISessionCache sessions,
    RealtimeRelayOptions options,
    RealtimeTelemetry telemetry,
    TimeProvider time,
    ILogger logger)
{
    private static readonly TimeSpan MinimumRotationDelay = TimeSpan.FromMilliseconds(200);
    private const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

    private long _gatewayRefs;

    /// <summary>Raised when the session ended (the connection closes with 4001).</summary>
    public required Action SessionEnded { get; init; }

    public async Task RunAsync(CancellationToken stop)
    {
        if (cookie is null)
        {
            return; // an anonymous socket uses the project key, which does not expire
        }
        try
        {
            while (true)
            {
                var current = interceptor.Token;
                if (current.ExpiresAt is not { } expiresAt)
                {
                    return;
                }
                var delay = (expiresAt - time.GetUtcNow()) * options.RotateAfterFraction;
                await Task.Delay(delay > MinimumRotationDelay ? delay : MinimumRotationDelay, time, stop);

                SessionLookup next;
                try
                {
                    next = await sessions.LookupAsync(cookie, stop);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    RealtimeLog.RotationFailed(logger, exception);
                    next = new SessionLookup(SessionState.Unavailable, cookie, null);
                }

                switch (next)
                {
                    case { State: SessionState.Live, Live: { } live }:
                        if (!live.Carries(current.AccessToken))
                        {
                            interceptor.Token = new RelayToken(live.AccessToken, live.TokenExpiresAt);
                            await PushTokenAsync(live.AccessToken, stop);
                        }
                        break;
                    case { State: SessionState.Unavailable }:
                        if (time.GetUtcNow() >= expiresAt)
                        {
                            lifetime.BeginClose(TryAgainLater, "session store unavailable", WebSocketCloseStatus.NormalClosure);
                            return;
                        }
                        break; // try again; the current token is still valid for a while
                    default:
                        SessionEnded();
                        return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception exception) when (RealtimeRelayConnection.IsConnectionFailure(exception))
        {
            RealtimeLog.RotationFailed(logger, exception);
        }
    }

    private async Task PushTokenAsync(string accessToken, CancellationToken stop)
    {
        using var activity = RealtimeTelemetry.ActivitySource.StartActivity("realtime.rotate_token");
        await upstream.SendLock.WaitAsync(stop);
        try
        {
            var topics = interceptor.Topics.Snapshot();
            foreach (var (topic, joinRef) in topics)
            {
                var reference = PhoenixFrames.GatewayRefPrefix + (++_gatewayRefs).ToString(CultureInfo.InvariantCulture);
                var push = PhoenixFrames.AccessTokenMessage(serializer, topic, joinRef, reference, accessToken);
                await upstream.Socket.SendAsync(push, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }
            activity?.SetTag("realtime.topics", topics.Length);
            telemetry.TokenRotated();
            RealtimeLog.Rotated(logger, topics.Length);
        }
        finally
        {
            upstream.SendLock.Release();
        }
    }
}
