using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Contracts;
using Microsoft.Extensions.Options;
using SessionApi.Options;
using SessionApi.Sessions;

namespace SessionApi.Tokens;

/// <summary>
/// Mints the short-lived JWT sent to Supabase: GoTrue's own claims copied from the
/// GoTrue-issued token, user-derived claims refreshed from the stored user object, GoTrue's session_id kept so
/// GoTrue's endpoints accept it. Also mints the identity assertion SampleWeb verifies.
/// </summary>
public sealed class TokenMinter(SigningKeys keys, IOptions<JwtOptions> options, TimeProvider time)
{
    private static readonly Meter Meter = new("SessionApi.Sessions");
    private static readonly Histogram<double> MintLatency = Meter.CreateHistogram<double>("sessions.mint.duration", "ms", "Time to mint a token pair.");
    private readonly JwtSigner _supabase = new(keys.Supabase);
    private readonly JwtSigner _identity = new(keys.Identity);

    public TimeSpan Lifetime => TimeSpan.FromSeconds(options.Value.LifetimeSeconds);

    public MintedToken Mint(SessionRecord session)
    {
        var started = Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        var expires = now + Lifetime;
        var claims = SupabaseClaims(session, now, expires);
        var accessToken = _supabase.Sign(claims);

        var identity = new JsonObject
        {
            ["iss"] = IdentityAssertion.Issuer,
            ["aud"] = IdentityAssertion.Audience,
            ["sub"] = session.UserId,
            [IdentityAssertion.SessionIdClaim] = session.PublicId,
            ["email"] = claims["email"]?.DeepClone(),
            [IdentityAssertion.SupabaseTokenClaim] = accessToken,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = expires.ToUnixTimeSeconds(),
        };
        var assertion = _identity.Sign(identity);
        MintLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return new MintedToken(accessToken, DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()), assertion);
    }

    /// <summary>The claim set: template from GoTrue's token, user fields from the current user object, fresh iat/exp.</summary>
    public static JsonObject SupabaseClaims(SessionRecord session, DateTimeOffset now, DateTimeOffset expires)
    {
        var claims = session.Claims.ValueKind == JsonValueKind.Object
            ? JsonNode.Parse(session.Claims.GetRawText())!.AsObject()
            : new JsonObject();
        foreach (var transient in new[] { "iat", "exp", "nbf", "jti" })
        {
            claims.Remove(transient);
        }
        claims["sub"] = session.UserId;
        if (session.User.ValueKind == JsonValueKind.Object)
        {
            var user = session.User;
            claims["email"] = user.TryGetProperty("email", out var email) && email.ValueKind == JsonValueKind.String ? email.GetString() : "";
            claims["phone"] = user.TryGetProperty("phone", out var phone) && phone.ValueKind == JsonValueKind.String ? phone.GetString() : "";
            CopyObject(user, "app_metadata", claims);
            CopyObject(user, "user_metadata", claims);
            if (user.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String && role.GetString() is { Length: > 0 } r)
            {
                claims["role"] = r;
            }
            if (user.TryGetProperty("is_anonymous", out var anonymous) && anonymous.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                claims["is_anonymous"] = anonymous.GetBoolean();
            }
        }
        claims["aud"] ??= "authenticated";
        claims["role"] ??= "authenticated";
        claims["email"] ??= "";
        claims["phone"] ??= "";
        claims["aal"] ??= session.Aal;
        claims["is_anonymous"] ??= false;
        if (session.GoTrueSessionId is not null)
        {
            claims["session_id"] = session.GoTrueSessionId;
        }
        claims["iat"] = now.ToUnixTimeSeconds();
        claims["exp"] = expires.ToUnixTimeSeconds();
        return claims;
    }

    private static void CopyObject(JsonElement user, string name, JsonObject claims)
    {
        if (user.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object)
        {
            claims[name] = JsonNode.Parse(value.GetRawText());
        }
    }
}
