using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace SupabaseEmulator.GoTrue;

/// <summary>GoTrue's access tokens (claims exactly docs/supabase-contract.md §2.1, HS256 without kid) and the session response (§1.2).</summary>
public sealed class AccessTokens(EmulatorJwt jwt, EmulatorUrls urls, IOptions<EmulatorOptions> options, TimeProvider time)
{
    public JsonObject SessionResponse(AuthUser user, IssuedSession session, string? providerToken = null)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var exp = now + options.Value.AccessTokenLifetimeSeconds;
        var claims = new JsonObject
        {
            ["iss"] = urls.Issuer,
            ["sub"] = user.Id.ToString(),
            ["aud"] = user.Aud,
            ["exp"] = exp,
            ["iat"] = now,
            ["email"] = user.Email ?? "",
            ["phone"] = user.Phone ?? "",
            ["app_metadata"] = user.AppMetadata.DeepClone(),
            ["user_metadata"] = user.UserMetadata.DeepClone(),
            ["role"] = user.Role,
            ["aal"] = "aal1",
            ["amr"] = session.Amr.DeepClone(),
            ["session_id"] = session.SessionId.ToString(),
            ["is_anonymous"] = user.IsAnonymous,
        };
        var response = new JsonObject
        {
            ["access_token"] = jwt.Sign(claims),
            ["token_type"] = "bearer",
            ["expires_in"] = exp - now,
            ["expires_at"] = exp,
            ["refresh_token"] = session.RefreshToken,
            ["user"] = user.ToJson(),
        };
        if (!string.IsNullOrEmpty(providerToken))
        {
            response["provider_token"] = providerToken;
        }
        return response;
    }

    /// <summary>The implicit-flow redirect fragment: form-encoded, keys in alphabetical order, with the empty "sb" marker (docs/supabase-contract.md §1.9).</summary>
    public static string Fragment(JsonObject session, string? type = null)
    {
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["access_token"] = session["access_token"]!.ToString(),
            ["expires_at"] = session["expires_at"]!.ToString(),
            ["expires_in"] = session["expires_in"]!.ToString(),
            ["refresh_token"] = session["refresh_token"]!.ToString(),
            ["sb"] = "",
            ["token_type"] = "bearer",
        };
        if (session["provider_token"]?.ToString() is { } providerToken)
        {
            fields["provider_token"] = providerToken;
        }
        if (type is not null)
        {
            fields["type"] = type;
        }
        return string.Join('&', fields.Select(f => $"{f.Key}={Uri.EscapeDataString(f.Value)}"));
    }
}
