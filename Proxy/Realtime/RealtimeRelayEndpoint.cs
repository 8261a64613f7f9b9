using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using Proxy.Errors;
using Proxy.Options;
using Proxy.Security;
using Proxy.Sessions;

namespace Proxy.Realtime;

/// <summary>
/// <c>/supabase/realtime/v1/websocket</c>: refuses foreign origins and ended sessions before anything reaches
/// Realtime, connects upstream with the project key, then hands both sockets to a <see cref="RealtimeRelayConnection"/>.
/// </summary>
internal sealed class RealtimeRelayEndpoint(
    OriginPolicy origins,
    RealtimeUpstream upstream,
    IOptions<SupabaseOptions> upstreamOptions,
    IOptions<GatewayOptions> gatewayOptions,
    ISessionCache sessions,
    RealtimeTelemetry telemetry,
    TimeProvider time,
    ILogger<RealtimeRelayEndpoint> logger)
{
    public const string Path = "/supabase/realtime/v1/websocket";

    private readonly RealtimeRelayOptions _options = gatewayOptions.Value.Realtime;

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await RefuseAsync(context, GatewayErrors.WebsocketUpgradeRequired);
            return;
        }

        // Cross-site websocket hijacking: the cookie rides along with any page's upgrade, so the page must be ours.
        if (!origins.IsAllowed(context.Request.Headers.Origin))
        {
            await RefuseAsync(context, GatewayErrors.WebsocketOriginNotAllowed);
            return;
        }

        SessionLookup lookup;
        try
        {
            lookup = await sessions.LookupAsync(context, context.RequestAborted);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            RealtimeLog.SessionLookupFailed(logger, exception);
            lookup = new SessionLookup(SessionState.Unavailable, null, null);
        }

        if (SessionGate.Refusal(lookup.State, anonymousAllowed: true) is { } refusal)
        {
            await RefuseAsync(context, refusal);
            return;
        }
        RelaySession session;
        var revoked = CancellationToken.None;
        if (lookup is { State: SessionState.Live, Live: { } live })
        {
            session = new RelaySession(lookup.Cookie, live.SessionId, new RelayToken(live.AccessToken, live.TokenExpiresAt));
            revoked = sessions.GetRevocationToken(live.SessionId);
        }
        else
        {
            session = new RelaySession(null, null, new RelayToken(upstreamOptions.Value.AnonKey, null));
        }
        if (revoked.IsCancellationRequested)
        {
            await RefuseAsync(context, GatewayErrors.SessionExpired);
            return;
        }

        var vsn = context.Request.Query["vsn"].FirstOrDefault() ?? RealtimeUpstream.DefaultVsn;
        var upstreamUri = upstream.BuildUri(context.Request.Query);
        using var upstreamSocket = new ClientWebSocket();
        if (!await ConnectUpstreamAsync(context, upstreamSocket, upstreamUri, upstream.Invoker))
        {
            return;
        }

        using var client = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = upstreamSocket.SubProtocol,
        });

        RealtimeLog.Relaying(logger, upstreamUri.GetLeftPart(UriPartial.Path), vsn, session.SessionId);
        telemetry.SocketOpened();
        var started = time.GetTimestamp();
        using var connection = new RealtimeRelayConnection(client, upstreamSocket, session, PhoenixFrames.FromVsn(vsn),
            sessions, _options, telemetry, time, logger);
        try
        {
            await connection.RunAsync(revoked, context.RequestAborted);
        }
        catch (Exception exception)
        {
            // A relayed socket never takes the process down or leaks a stack trace; both sides are dropped.
            RealtimeLog.PumpFailed(logger, "relay", exception);
            client.Abort();
            upstreamSocket.Abort();
        }
        finally
        {
            telemetry.SocketClosed();
            RealtimeLog.Closed(logger, (long)time.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private async Task<bool> ConnectUpstreamAsync(HttpContext context, ClientWebSocket socket, Uri uri, HttpMessageInvoker invoker)
    {
        using var activity = RealtimeTelemetry.ActivitySource.StartActivity("realtime.connect", ActivityKind.Client);
        socket.Options.CollectHttpResponseDetails = true;
        foreach (var protocol in context.WebSockets.WebSocketRequestedProtocols)
        {
            socket.Options.AddSubProtocol(protocol);
        }
        DistributedContextPropagator.Current.Inject(activity, socket.Options,
            static (carrier, name, value) => ((ClientWebSocketOptions)carrier!).SetRequestHeader(name, value));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(uri, invoker, timeout.Token);
            return true;
        }
        catch (Exception exception) when (exception is WebSocketException or HttpRequestException or OperationCanceledException or IOException)
        {
            RealtimeLog.UpstreamFailed(logger, exception);
            activity?.SetStatus(ActivityStatusCode.Error);
            if (context.RequestAborted.IsCancellationRequested)
            {
                return false;
            }
            var status = socket.HttpStatusCode;
            if (status is >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError)
            {
                await RefuseAsync(context, new GatewayError((int)status, "realtime_refused", $"Realtime refused the connection ({(int)status})."));
            }
            else
            {
                await RefuseAsync(context, GatewayErrors.RealtimeUnavailable);
            }
            return false;
        }
    }

    private Task RefuseAsync(HttpContext context, GatewayError error)
    {
        telemetry.UpgradeRefused(error.Code);
        RealtimeLog.UpgradeRefused(logger, error.Code);
        return GatewayErrors.WriteAsync(context, error);
    }
}
