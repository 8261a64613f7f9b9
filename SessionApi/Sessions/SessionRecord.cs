using System.Text.Json;
using System.Text.Json.Serialization;

namespace SessionApi.Sessions;

/// <summary>What Redis holds for one session (JSON). No raw id, no cookie secret, no plaintext refresh token.</summary>
public sealed record SessionRecord
{
    public required string PublicId { get; init; }
    public required string UserId { get; init; }
    public string? GoTrueSessionId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset LastSeenAt { get; init; }
    public required DateTimeOffset AbsoluteExpiresAt { get; init; }
    public string Aal { get; init; } = "aal1";
    public JsonElement Amr { get; init; }
    public string? Ip { get; init; }
    public string? UserAgent { get; init; }

    /// <summary>The GoTrue user object (kept fresh by user-update events).</summary>
    public JsonElement User { get; init; }

    /// <summary>The claims of the GoTrue-issued access token, minus iat/exp: the template for minted tokens.</summary>
    public JsonElement Claims { get; init; }

    /// <summary>The GoTrue refresh token, sealed with the cookie secret (<see cref="SecretBox"/>).</summary>
    public required string SealedRefreshToken { get; init; }

    public DateTimeOffset GoTrueExpiresAt { get; init; }

    public DateTimeOffset ExpiresAt(TimeSpan idleTimeout) =>
        LastSeenAt + idleTimeout < AbsoluteExpiresAt ? LastSeenAt + idleTimeout : AbsoluteExpiresAt;
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SessionRecord))]
internal sealed partial class SessionStoreJsonContext : JsonSerializerContext;
