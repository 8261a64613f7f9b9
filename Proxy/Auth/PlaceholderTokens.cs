using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Contracts;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Proxy.Auth;

/// <summary>
/// What the browser gets instead of Supabase's tokens: a JWT-shaped access token
/// with the user's claims, signed with a key that exists only in this process (Supabase rejects it), and an
/// opaque refresh placeholder. supabase-js decodes and stores them and works unchanged.
/// </summary>
public sealed class PlaceholderTokens
{
    /// <summary>Comfortably beyond auth-js's 90 s refresh margin.</summary>
    public static readonly TimeSpan MinimumLifetime = TimeSpan.FromSeconds(120);

    // HMAC with a random per-process key: no one else can verify it (which is the point) and it costs a fraction
    // of an ES256 signature on the sign-in path.
    private readonly SigningCredentials _key = new(
        new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = "gateway-placeholder" },
        SecurityAlgorithms.HmacSha256);
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>The session body in GoTrue's shape (docs/supabase-contract.md §1.2), holding no credential Supabase would accept.</summary>
    public JsonObject SessionBody(ResolvedSession session, DateTimeOffset now)
    {
        var view = session.Session;
        // The placeholder expires with the minted token it stands for, but never within auth-js's 90 s refresh
        // margin (docs/supabase-contract.md §6.4: it would refresh on every call); refreshes are answered from the cookie, so they are cheap.
        var expiresAt = session.Token.ExpiresAt;
        if (expiresAt < now + MinimumLifetime)
        {
            expiresAt = now + MinimumLifetime;
        }
        if (expiresAt > view.ExpiresAt && view.ExpiresAt > now)
        {
            expiresAt = view.ExpiresAt;
        }
        var user = view.User;
        var claims = new JsonObject
        {
            ["iss"] = "supabase-gateway-placeholder",
            ["sub"] = view.UserId,
            ["aud"] = "authenticated",
            ["exp"] = expiresAt.ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["email"] = Text(user, "email"),
            ["phone"] = Text(user, "phone"),
            ["role"] = Text(user, "role") is { Length: > 0 } role ? role : "authenticated",
            ["aal"] = view.Aal,
            ["amr"] = JsonNode.Parse(view.Amr.ValueKind == JsonValueKind.Array ? view.Amr.GetRawText() : "[]"),
            ["session_id"] = view.Id,
            ["is_anonymous"] = user.ValueKind == JsonValueKind.Object && user.TryGetProperty("is_anonymous", out var a) && a.ValueKind == JsonValueKind.True,
        };
        return new JsonObject
        {
            ["access_token"] = _handler.CreateToken(claims.ToJsonString(), _key),
            ["token_type"] = "bearer",
            ["expires_in"] = expiresAt.ToUnixTimeSeconds() - now.ToUnixTimeSeconds(),
            ["expires_at"] = expiresAt.ToUnixTimeSeconds(),
            ["refresh_token"] = "gw_" + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(18)),
            ["user"] = JsonNode.Parse(user.ValueKind == JsonValueKind.Object ? user.GetRawText() : "{}"),
        };
    }

    private static string Text(JsonElement user, string name) =>
        user.ValueKind == JsonValueKind.Object && user.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : "";
}
