using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Contracts;
using Microsoft.Extensions.Options;
using SessionApi.Options;

namespace SessionApi.Sessions;

/// <summary>A user changed upstream (Supabase's auth.users webhook): refresh or end that user's live sessions.</summary>
public sealed class UserChanges(ISessionStore store, SessionService sessions, Events.SessionEventHub events,
    IOptions<SessionLifetimeOptions> lifetimes, TimeProvider time)
{
    public async Task<UserChangedResponse> ApplyAsync(string userId, UserChangedRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(userId, out var id))
        {
            throw new InvalidSessionRequestException("The user id must be a UUID.");
        }
        userId = id.ToString();
        switch (request?.Change)
        {
            case "banned":
                return new(request.Change, await sessions.RevokeUserAsync(userId, "user banned", ct));
            case "deleted":
                return new(request.Change, await sessions.RevokeUserAsync(userId, "user deleted", ct));
            case "updated" when request.User is { ValueKind: JsonValueKind.Object } user:
                return new(request.Change, await MergeAsync(userId, user, ct));
            default:
                throw new InvalidSessionRequestException("'change' must be updated (with a 'user' object), banned or deleted.");
        }
    }

    /// <summary>
    /// The webhook carries the auth.users row, which lacks parts of the API user object (identities, factors):
    /// the members it has replace the stored ones and the rest is kept.
    /// </summary>
    private async Task<IReadOnlyList<string>> MergeAsync(string userId, JsonElement patch, CancellationToken ct)
    {
        if (patch.TryGetProperty("id", out var patchId)
            && !(patchId.ValueKind == JsonValueKind.String && Guid.TryParse(patchId.GetString(), out var parsed) && parsed.ToString() == userId))
        {
            throw new InvalidSessionRequestException("The user object's 'id' does not match the user id in the path.");
        }
        var now = time.GetUtcNow();
        var live = await store.ListByUserAsync(userId, ct);
        foreach (var (key, record) in live)
        {
            var timeToLive = record.ExpiresAt(lifetimes.Value.IdleTimeout) - now;
            if (timeToLive <= TimeSpan.Zero)
            {
                continue;
            }
            // Null when the session ended meanwhile: nothing to refresh then. Merged into what is stored at write time,
            // so a touch or a GoTrue refresh of the same session racing this update cannot write the old user back.
            await store.ModifyAsync(key, stored => stored with { User = Merge(stored.User, patch) },
                stored => stored.ExpiresAt(lifetimes.Value.IdleTimeout) - now, ct);
        }
        var ids = live.Select(s => s.Record.PublicId).ToList();
        if (ids.Count > 0)
        {
            await events.PublishAsync(new SessionEvent("updated", userId, ids, "user updated"), ct);
        }
        return ids;
    }

    /// <summary>
    /// The stored user object with the members the database row carries replaced (null members removed). Newer wins:
    /// deliveries can arrive out of order (pg_net sends them concurrently), and a sign-in or refresh may already have
    /// stored a newer user object, so a patch whose updated_at is older than the stored one changes nothing.
    /// </summary>
    private static JsonElement Merge(JsonElement user, JsonElement patch)
    {
        if (UpdatedAt(patch) is { } patchTime && UpdatedAt(user) is { } storedTime && patchTime < storedTime)
        {
            return user;
        }
        var merged = user.ValueKind == JsonValueKind.Object ? JsonNode.Parse(user.GetRawText())!.AsObject() : [];
        foreach (var member in patch.EnumerateObject())
        {
            if (member.Value.ValueKind == JsonValueKind.Null)
            {
                merged.Remove(member.Name); // GoTrue omits unset optional members
            }
            else
            {
                merged[member.Name] = JsonNode.Parse(member.Value.GetRawText());
            }
        }
        return JsonSerializer.SerializeToElement(merged);
    }

    private static DateTimeOffset? UpdatedAt(JsonElement user) =>
        user.ValueKind == JsonValueKind.Object && user.TryGetProperty("updated_at", out var value) && value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : null;
}
