using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using TestSupport;

namespace Gateway.Bench.Stack;

/// <summary>HS256 JWTs signed with the local Supabase JWT secret, shaped like GoTrue's access tokens.</summary>
public static class LocalJwt
{
    public static string Sign(JsonObject claims)
    {
        var header = Base64Url("""{"alg":"HS256","typ":"JWT"}"""u8);
        var payload = Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signingInput = header + "." + payload;
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(LocalSupabaseKeys.JwtSecret), Encoding.UTF8.GetBytes(signingInput));
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>An access token for an authenticated user, as GoTrue would issue it after a password sign-in.</summary>
    public static string AccessToken(string userId, string email, string sessionId, DateTimeOffset issuedAt, TimeSpan lifetime) => Sign(new JsonObject
    {
        ["iss"] = "http://127.0.0.1/auth/v1",
        ["sub"] = userId,
        ["aud"] = "authenticated",
        ["exp"] = (issuedAt + lifetime).ToUnixTimeSeconds(),
        ["iat"] = issuedAt.ToUnixTimeSeconds(),
        ["email"] = email,
        ["phone"] = "",
        ["app_metadata"] = new JsonObject { ["provider"] = "email", ["providers"] = new JsonArray("email") },
        ["user_metadata"] = new JsonObject(),
        ["role"] = "authenticated",
        ["aal"] = "aal1",
        ["amr"] = new JsonArray(new JsonObject { ["method"] = "password", ["timestamp"] = issuedAt.ToUnixTimeSeconds() }),
        ["session_id"] = sessionId,
        ["is_anonymous"] = false,
    });

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
