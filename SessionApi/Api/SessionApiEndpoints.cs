using System.Text.Json;
using Gateway.Contracts;
using SessionApi.Events;
using SessionApi.Sessions;
using SessionApi.Tokens;

namespace SessionApi.Api;

/// <summary>The internal HTTP API (contract: Contracts/SessionApiContracts.cs).</summary>
public static class SessionApiEndpoints
{
    public static IEndpointRouteBuilder MapSessionApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/.well-known/jwks.json", (SigningKeys keys) => Results.Json(keys.Jwks()));

        var api = endpoints.MapGroup("/internal/v1").AddEndpointFilter<CallerKeyFilter>();

        api.MapPost("/sessions", async (CreateSessionRequest request, SessionService sessions, CancellationToken ct) =>
            Results.Json(await sessions.CreateAsync(request, ct), SessionApiJsonContext.Default.CreateSessionResponse, statusCode: 201));

        api.MapPost("/sessions/resolve", async (ResolveSessionRequest request, SessionService sessions, CancellationToken ct) =>
            await sessions.ResolveAsync(request, ct) is { } resolved
                ? Results.Json(resolved, SessionApiJsonContext.Default.ResolvedSession)
                : NotFound());

        api.MapPost("/sessions/revoke", async (RevokeSessionsRequest request, SessionService sessions, CancellationToken ct) =>
            await sessions.RevokeAsync(request, ct) switch
            {
                null => NotFound(),
                { Count: 0 } when request.Scope == "one" => Results.Problem(statusCode: 404, title: "Session not found",
                    detail: "No session of yours has that id."),
                var revoked => Results.Json(new RevokeSessionsResponse(revoked), SessionApiJsonContext.Default.RevokeSessionsResponse),
            });

        api.MapGet("/users/{userId}/sessions", async (string userId, SessionService sessions, CancellationToken ct) =>
            Results.Json(new SessionListResponse(await sessions.ListAsync(userId, ct)), SessionApiJsonContext.Default.SessionListResponse));

        api.MapPut("/users/{userId}", async (string userId, JsonElement user, SessionService sessions, CancellationToken ct) =>
            Results.Json(new { updated = await sessions.UpdateUserAsync(userId, user, ct) }));

        api.MapDelete("/users/{userId}/sessions", async (string userId, string? reason, SessionService sessions, CancellationToken ct) =>
            Results.Json(new RevokeSessionsResponse(await sessions.RevokeUserAsync(userId, reason ?? "user removed", ct)),
                SessionApiJsonContext.Default.RevokeSessionsResponse));

        api.MapPost("/users/{userId}/changed", async (string userId, UserChangedRequest request, UserChanges changes, CancellationToken ct) =>
            Results.Json(await changes.ApplyAsync(userId, request, ct), UserChangeJsonContext.Default.UserChangedResponse));

        api.MapPost("/nonces", async (NonceRequest request, NonceRegistry nonces, CancellationToken ct) =>
            await nonces.TryRecordAsync(request, ct)
                ? Results.Json(new NonceResponse(true), UserChangeJsonContext.Default.NonceResponse, statusCode: 201)
                : Results.Problem(statusCode: 409, title: "Already seen", detail: "This id was recorded before (a replay)."));

        api.MapDelete("/nonces/{scope}/{id}", async (string scope, string id, NonceRegistry nonces, CancellationToken ct) =>
            await nonces.ReleaseAsync(scope, id, ct)
                ? Results.NoContent()
                : Results.Problem(statusCode: 404, title: "Unknown id", detail: "No such id is recorded (never, or it expired)."));

        api.MapPost("/rate-limit", async (RateLimitRequest request, RateLimiter limiter, CancellationToken ct) =>
            Results.Json(await limiter.HitAsync(request, ct), SessionApiJsonContext.Default.RateLimitResponse));

        api.MapGet("/events", SessionEventStream.StreamAsync);
        return endpoints;
    }

    private static IResult NotFound() =>
        Results.Problem(statusCode: 404, title: "Session not found", detail: "The session is unknown, expired or revoked.");
}
