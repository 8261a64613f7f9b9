using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using Proxy.Sessions;

namespace Proxy.Realtime;

/// <summary>
/// <c>/supabase/realtime/v1/websocket</c>: refuses foreign origins and ended sessions before anything reaches
/// Realtime, connects upstream with the project key, then hands both sockets to a <see cref="RealtimeRelayConnection"/>.
/// </summary>
internal sealed class RealtimeRelayEndpoint(
    RealtimeOriginCheck origins,
    RealtimeUpstream upstream,
    IOptions<RealtimeUpstreamOptions> upstreamOptions,
    IOptions<RealtimeRelayOptions> options,
    RealtimeTelemetry telemetry,
    TimeProvider time,
    ILogger<RealtimeRelayEndpoint> logger)
{
    public const string Path = "/supabase/realtime/v1/websocket";

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, "websocket_upgrade_required", "This endpoint only accepts websocket upgrades.");
            return;
        }

        // Cross-site websocket hijacking: the cookie rides along with any page's upgrade, so the page must be ours.
        if (!origins.IsAllowed(context.Request.Headers.Origin))
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "websocket_origin_not_allowed", "Websocket connections are only accepted from the site's own origin.");
            return;
        }

        var sessions = context.RequestServices.GetRequiredService<ISessionCache>();
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

        RelaySession session;
        var revoked = CancellationToken.None;
        switch (lookup)
        {
            case { State: SessionState.Live, Live: { } live }:
                session = new RelaySession(lookup.Cookie, live.SessionId, new RelayToken(live.AccessToken, live.TokenExpiresAt));
                revoked = sessions.GetRevocationToken(live.SessionId);
                break;
            case { State: SessionState.Anonymous }:
                session = new RelaySession(null, null, new RelayToken(upstreamOptions.Value.AnonKey, null));
                break;
            case { State: SessionState.Unavailable }:
                await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "session_store_unavailable", "The session store is unavailable; try again shortly.");
                return;
            default:
                await RefuseAsync(context, StatusCodes.Status401Unauthorized, "session_expired", "Your session has ended; sign in again.");
                return;
        }
        if (revoked.IsCancellationRequested)
        {
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, "session_expired", "Your session has ended; sign in again.");
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
            sessions, options.Value, telemetry, time, logger);
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
        timeout.CancelAfter(options.Value.ConnectTimeout);
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
                await RefuseAsync(context, (int)status, "realtime_refused", $"Realtime refused the connection ({(int)status}).");
            }
            else
            {
                await RefuseAsync(context, StatusCodes.Status502BadGateway, "realtime_unavailable", "Realtime is unavailable; try again shortly.");
            }
            return false;
        }
    }

    private Task RefuseAsync(HttpContext context, int status, string code, string message)
    {
        telemetry.UpgradeRefused(code);
        RealtimeLog.UpgradeRefused(logger, code);
        return RealtimeErrors.WriteAsync(context, status, code, message);
    }
}
