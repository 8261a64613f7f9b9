using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Contracts;

namespace SessionApi.Sessions;

/// <summary>A user changed upstream (Supabase's auth.users webhook): refresh or end that user's live sessions.</summary>
public sealed class UserChanges(SessionService sessions)
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
    private Task<IReadOnlyList<string>> MergeAsync(string userId, JsonElement patch, CancellationToken ct) =>
        sessions.ChangeUserAsync(userId, patch, stored => Merge(stored, patch), ct);

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
