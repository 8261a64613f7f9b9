using System.Net;
using System.Net.Http.Json;
using Gateway.Contracts;
using Microsoft.Extensions.Options;
using Proxy.Errors;
using Proxy.Security;
using Proxy.Sessions;

namespace Proxy.Webhooks;

/// <summary>
/// POST /edge/v1/hooks/user: Supabase (a pg_net trigger on auth.users) tells the gateway a user changed. Public, so
/// authenticated by its Standard-Webhooks signature alone; each webhook-id is accepted once across all Proxy
/// instances (recorded in the SessionApi for the tolerance window). Nothing changes unless all checks pass.
/// </summary>
public sealed class UserWebhookEndpoint(IOptions<Options.GatewayOptions> options, SessionApiClient sessionApi, TimeProvider time, ILogger<UserWebhookEndpoint> logger)
{
    public const string Path = "/edge/v1/hooks/user";

    private readonly byte[]? _key = options.Value.UserWebhook.Enabled ? WebhookSignature.DecodeSecret(options.Value.UserWebhook.Secret!) : null;

    public async Task<IResult> HandleAsync(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (_key is null)
        {
            return GatewayErrors.Result(GatewayErrors.NotFound);
        }
        var ct = context.RequestAborted;
        var o = options.Value.UserWebhook;
        var body = await LimitedBody.ReadAsync(context.Request, o.MaxBodyBytes, ct);
        if (body is null)
        {
            return GatewayErrors.Result(new GatewayError(413, "request_too_large", $"The webhook body exceeds {o.MaxBodyBytes} bytes."));
        }
        var headers = context.Request.Headers;
        var id = headers[WebhookSignature.IdHeader].ToString();
        var verdict = WebhookSignature.Verify(_key, id, headers[WebhookSignature.TimestampHeader].ToString(),
            headers[WebhookSignature.SignatureHeader].ToString(), body, time.GetUtcNow(), TimeSpan.FromSeconds(o.ToleranceSeconds));
        switch (verdict)
        {
            case WebhookVerdict.MissingHeaders or WebhookVerdict.MalformedTimestamp:
                return GatewayErrors.Result(new GatewayError(400, "webhook_malformed", "webhook-id, webhook-timestamp (Unix seconds) and webhook-signature are required."));
            case WebhookVerdict.TimestampOutOfTolerance:
                logger.LogWarning("User webhook {Id} refused: timestamp outside the tolerance window", id);
                return GatewayErrors.Result(new GatewayError(401, "webhook_timestamp", "webhook-timestamp is too far from the current time."));
            case WebhookVerdict.BadSignature:
                logger.LogWarning("User webhook {Id} refused: bad signature", id);
                return GatewayErrors.Result(new GatewayError(401, "webhook_signature", "No signature in webhook-signature matches."));
        }
        var change = AuthUserChange.Parse(body, time.GetUtcNow());
        if (change is null)
        {
            return GatewayErrors.Result(new GatewayError(400, "webhook_payload", "Expected an auth.users change: {type, table: \"users\", schema: \"auth\", record, old_record}."));
        }
        var recorded = false;
        try
        {
            // Twice the tolerance: a replay with the same id is refused by the timestamp check after that.
            if (!await RecordOnceAsync(id, 2 * o.ToleranceSeconds, ct))
            {
                logger.LogWarning("User webhook {Id} refused: replayed", id);
                return GatewayErrors.Result(new GatewayError(401, "webhook_replayed", "This webhook-id was delivered before."));
            }
            recorded = true;
            if (change.Change is null)
            {
                return Results.Json(new UserChangedResponse("none", []), UserChangeJsonContext.Default.UserChangedResponse);
            }
            var user = change.User is null ? (System.Text.Json.JsonElement?)null : System.Text.Json.JsonSerializer.SerializeToElement(change.User);
            using var response = await sessionApi.Http.PostAsJsonAsync($"internal/v1/users/{change.UserId}/changed",
                new UserChangedRequest(change.Change, user), UserChangeJsonContext.Default.UserChangedRequest, ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new SessionApiUnavailableException($"The session service answered {(int)response.StatusCode}.");
            }
            var applied = await response.Content.ReadFromJsonAsync(UserChangeJsonContext.Default.UserChangedResponse, ct);
            logger.LogInformation("User webhook {Id}: user {UserId} {Change}, {Count} session(s)", id, change.UserId, change.Change, applied?.Sessions.Count ?? 0);
            return Results.Json(applied, UserChangeJsonContext.Default.UserChangedResponse);
        }
        catch (Exception e) when (e is SessionApiUnavailableException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("User webhook {Id} not applied: {Reason}", id, e.Message);
            if (recorded)
            {
                await ReleaseAsync(id);
            }
            return GatewayErrors.Result(GatewayErrors.SessionStoreUnavailable);
        }
    }

    /// <summary>
    /// Best effort: a delivery that was recorded but not applied must stay deliverable, or the sender's retry (same
    /// webhook-id) would be refused as a replay and the change lost. If the SessionApi cannot be reached either, the id
    /// simply expires with its TTL.
    /// </summary>
    private async Task ReleaseAsync(string id)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var response = await sessionApi.Http.DeleteAsync($"internal/v1/nonces/user-webhook/{Uri.EscapeDataString(id)}", timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("User webhook {Id}: could not release its id ({Reason}); a retry with the same id is refused until it expires", id, e.Message);
        }
    }

    private async Task<bool> RecordOnceAsync(string id, int ttlSeconds, CancellationToken ct)
    {
        using var response = await sessionApi.Http.PostAsJsonAsync("internal/v1/nonces",
            new NonceRequest("user-webhook", id, ttlSeconds), UserChangeJsonContext.Default.NonceRequest, ct);
        return response.StatusCode switch
        {
            HttpStatusCode.Created => true,
            HttpStatusCode.Conflict => false,
            var status => throw new SessionApiUnavailableException($"The session service answered {(int)status}."),
        };
    }
}
