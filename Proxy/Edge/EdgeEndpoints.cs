using System.Text.Json.Nodes;
using Gateway.Contracts;
using Proxy.Cookies;
using Proxy.Errors;
using Proxy.Sessions;

namespace Proxy.Edge;

/// <summary>/edge/v1: the session endpoints the gateway adds (no secrets in any answer).</summary>
public static class EdgeEndpoints
{
    public static IEndpointRouteBuilder MapEdgeEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var edge = endpoints.MapGroup("/edge/v1");
        edge.MapGet("/session", (HttpContext context, CancellationToken _) => WithSessionAsync(context, (lookup, _) =>
            Task.FromResult(Json(Describe(lookup.Session!.Session, current: true)))));

        edge.MapGet("/sessions", (HttpContext context, SessionApiClient sessionApi) => WithSessionAsync(context, async (lookup, ct) =>
        {
            var current = lookup.Session!.Session;
            var list = await sessionApi.ListAsync(current.UserId, ct);
            return Json(new JsonObject { ["sessions"] = new JsonArray([.. list.Sessions.Select(s => Describe(s, s.Id == current.Id))]) });
        }));

        edge.MapDelete("/sessions/{id}", (HttpContext context, string id, SessionApiClient sessionApi) => WithSessionAsync(context, async (lookup, ct) =>
        {
            if (!Guid.TryParse(id, out var sessionId))
            {
                return GatewayErrors.Result(400, "validation_failed", "The session id must be a UUID.");
            }
            var revoked = await sessionApi.RevokeAsync(new RevokeSessionsRequest(lookup.Cookie!, "one", sessionId.ToString()), ct);
            if (revoked is null || revoked.Revoked.Count == 0)
            {
                return GatewayErrors.Result(404, "session_not_found", "No session of yours has that id.");
            }
            EvictHere(context, revoked);
            if (sessionId.ToString() == lookup.Session!.Session.Id)
            {
                context.RequestServices.GetRequiredService<SessionCookiePolicy>().Clear(context);
            }
            return Results.NoContent();
        }));

        edge.MapDelete("/sessions", (HttpContext context, string? scope, SessionApiClient sessionApi) => WithSessionAsync(context, async (lookup, ct) =>
        {
            scope ??= "others"; // "sign out everywhere else" unless asked otherwise
            if (scope is not ("others" or "all"))
            {
                return GatewayErrors.Result(400, "validation_failed", "scope must be 'others' or 'all'.");
            }
            var revoked = await sessionApi.RevokeAsync(new RevokeSessionsRequest(lookup.Cookie!, scope), ct);
            EvictHere(context, revoked);
            if (scope == "all")
            {
                context.RequestServices.GetRequiredService<SessionCookiePolicy>().Clear(context);
            }
            return Json(new JsonObject { ["revoked"] = new JsonArray([.. (revoked?.Revoked ?? []).Select(r => (JsonNode)r)]) });
        }));

        // Anything else under /edge/v1 is ours too: never fall through to SampleWeb.
        edge.Map("/{**rest}", () => GatewayErrors.Result(404, "not_found", "No such gateway endpoint."));
        return endpoints;
    }

    /// <summary>
    /// The revocation event reaches every instance within milliseconds, but this one answered the caller first:
    /// evicting here makes the very next request with a revoked cookie fail, with no window at all.
    /// </summary>
    internal static void EvictHere(HttpContext context, RevokeSessionsResponse? revoked)
    {
        if (revoked is { Revoked.Count: > 0 })
        {
            context.RequestServices.GetRequiredService<SessionCache>().Evict(revoked.Revoked, revoked: true);
        }
    }

    /// <summary>Runs the handler for a live session; 401/503 JSON otherwise (fail closed).</summary>
    internal static async Task<IResult> WithSessionAsync(HttpContext context, Func<SessionLookup, CancellationToken, Task<IResult>> handler)
    {
        context.Response.Headers.CacheControl = "no-store";
        var sessions = context.RequestServices.GetRequiredService<ISessionCache>();
        var lookup = await sessions.WithDetailsAsync(await sessions.LookupAsync(context, context.RequestAborted), context.RequestAborted);
        switch (lookup.State)
        {
            case SessionState.Anonymous:
                return GatewayErrors.Result(401, "session_missing", "You are not signed in.");
            case SessionState.Ended:
                context.RequestServices.GetRequiredService<SessionCookiePolicy>().Clear(context);
                return GatewayErrors.Result(401, "session_expired", "Your session has ended or was revoked; sign in again.");
            case SessionState.Unavailable:
                return GatewayErrors.Result(503, "session_store_unavailable", "The session service is unavailable; try again shortly.");
        }
        try
        {
            return await handler(lookup, context.RequestAborted);
        }
        catch (SessionApiUnavailableException)
        {
            return GatewayErrors.Result(503, "session_store_unavailable", "The session service is unavailable; try again shortly.");
        }
    }

    private static JsonObject Describe(SessionView session, bool current) => new()
    {
        ["id"] = session.Id,
        ["current"] = current,
        ["user"] = JsonNode.Parse(session.User.ValueKind == System.Text.Json.JsonValueKind.Object ? session.User.GetRawText() : "{}"),
        ["created_at"] = session.CreatedAt,
        ["last_seen_at"] = session.LastSeenAt,
        ["expires_at"] = session.ExpiresAt,
        ["aal"] = session.Aal,
        ["ip"] = session.Ip,
        ["user_agent"] = session.UserAgent,
    };

    private static IResult Json(JsonNode node) => Results.Text(node.ToJsonString(), "application/json");
}
