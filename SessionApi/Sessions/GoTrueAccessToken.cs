using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SessionApi.Sessions;

/// <summary>
/// The claims of a GoTrue-issued access token (docs/supabase-contract.md §2.1): the template of every token we mint for the session.
/// The token reaches us from GoTrue through the authenticated Proxy (or from our own refresh call), so we read it
/// without verifying: Supabase verifies the tokens we mint, and a forged template would only be signed by us if
/// the Proxy itself were compromised.
/// </summary>
public sealed record GoTrueAccessToken(JsonElement Claims, string UserId, string? SessionId, string? Aal, JsonElement? Amr)
{
    public static GoTrueAccessToken Read(string? accessToken)
    {
        JsonElement claims;
        try
        {
            var token = new JsonWebToken(accessToken);
            using var document = JsonDocument.Parse(Base64UrlEncoder.Decode(token.EncodedPayload));
            claims = document.RootElement.Clone();
        }
        catch (Exception e) when (e is ArgumentException or JsonException or FormatException or SecurityTokenMalformedException)
        {
            throw new InvalidSessionRequestException("The GoTrue access token is not a JWT.");
        }
        if (claims.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidSessionRequestException("The GoTrue access token has no claims object.");
        }
        var userId = String(claims, "sub") is { } sub && Guid.TryParse(sub, out var id)
            ? id.ToString()
            : throw new InvalidSessionRequestException("The GoTrue access token has no user id (sub).");
        return new GoTrueAccessToken(
            claims,
            userId,
            String(claims, "session_id"),
            String(claims, "aal"),
            claims.TryGetProperty("amr", out var amr) && amr.ValueKind == JsonValueKind.Array ? amr.Clone() : null);
    }

    private static string? String(JsonElement claims, string name) =>
        claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
