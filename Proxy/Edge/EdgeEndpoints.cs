using System.Text.Json.Nodes;
using Gateway.Contracts;
using Proxy.Cookies;
using Proxy.Errors;
using Proxy.Routing;
using Proxy.Security;
using Proxy.Sessions;

namespace Proxy.Edge;

/// <summary>/edge/v1: the session endpoints the gateway adds (no secrets in any answer).</summary>
public static class EdgeEndpoints
{
    /// <summary>The services the session endpoints need (bound by ASP.NET Core, not looked up).</summary>
    internal sealed record SessionEndpointServices(SessionApiClient SessionApi, SessionCache Cache, SessionCookiePolicy Cookies);

    /// <summary>Maps the session endpoints onto the /edge/v1 group of the route table.</summary>
    public static IEndpointRouteBuilder MapEdgeEndpoints(this IEndpointRouteBuilder edge)
    {
        var sessions = edge.MapGroup("").AddEndpointFilter<RequireLiveSession>().RequireRateLimiting(RateLimitPolicies.Session);
        sessions.MapGet("/session", GetSession);
        sessions.MapGet("/sessions", ListSessionsAsync);
        sessions.MapDelete("/sessions/{id}", RevokeOneAsync);
        sessions.MapDelete("/sessions", RevokeManyAsync);

        // Anything else under /edge/v1 is ours too: never fall through to SampleWeb.
        edge.Map("/{**rest}", () => GatewayErrors.Result(GatewayErrors.NotFound));
        return edge;
    }

    private static IResult GetSession(CurrentSession current) => Json(Describe(current.Session, current: true));

    private static async Task<IResult> ListSessionsAsync(CurrentSession current, SessionApiClient sessionApi, CancellationToken ct)
    {
        var list = await sessionApi.ListAsync(current.Session.UserId, ct);
        return Json(new JsonObject { ["sessions"] = new JsonArray([.. list.Sessions.Select(s => Describe(s, s.Id == current.Session.Id))]) });
    }

    private static async Task<IResult> RevokeOneAsync(HttpContext context, string id, CurrentSession current, [AsParameters] SessionEndpointServices services,
        CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var sessionId))
        {
            return GatewayErrors.Result(GatewayErrors.ValidationFailed.Saying("The session id must be a UUID."));
        }
        var revoked = await services.SessionApi.RevokeAsync(new RevokeSessionsRequest(current.Cookie, "one", sessionId.ToString()), ct);
        if (revoked is null || revoked.Revoked.Count == 0)
        {
            return GatewayErrors.Result(GatewayErrors.SessionNotFound);
        }
        services.Cache.EvictRevoked(revoked);
        if (sessionId.ToString() == current.Session.Id)
        {
            services.Cookies.Clear(context);
        }
        return Results.NoContent();
    }

    private static async Task<IResult> RevokeManyAsync(HttpContext context, string? scope, CurrentSession current, [AsParameters] SessionEndpointServices services,
        CancellationToken ct)
    {
        scope ??= "others"; // "sign out everywhere else" unless asked otherwise
        if (scope is not ("others" or "all"))
        {
            return GatewayErrors.Result(GatewayErrors.ValidationFailed.Saying("scope must be 'others' or 'all'."));
        }
        var revoked = await services.SessionApi.RevokeAsync(new RevokeSessionsRequest(current.Cookie, scope), ct);
        services.Cache.EvictRevoked(revoked);
        if (scope == "all")
        {
            services.Cookies.Clear(context);
        }
        return Json(new JsonObject { ["revoked"] = new JsonArray([.. (revoked?.Revoked ?? []).Select(r => (JsonNode)r)]) });
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
