using Gateway.Contracts;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SampleWeb.Identity;

/// <summary>What an <c>X-Gateway-Identity</c> header turned out to be.</summary>
public enum IdentityVerdict
{
    Verified,
    /// <summary>Forged, unsigned, wrongly signed, expired, for another audience: the request is anonymous.</summary>
    Rejected,
    /// <summary>The signing keys could not be loaded, so nothing can be verified (fail closed: anonymous, with a banner).</summary>
    KeysUnavailable,
}

/// <summary>
/// Verifies the Proxy's identity assertion: ES256 only (pinned), issuer and audience of
/// <see cref="IdentityAssertion"/>, unexpired, signed by a key from the SessionApi's JWKS, with <c>sub</c>, <c>sid</c> and
/// <c>sb_token</c> present. Nothing else about the request is trusted.
/// </summary>
public sealed class GatewayIdentityValidator(IdentityKeys keys, TimeProvider time, ILogger<GatewayIdentityValidator> logger)
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(5);
    private readonly JsonWebTokenHandler _handler = new();

    public async Task<(IdentityVerdict Verdict, GatewayUser? User)> ValidateAsync(string assertion, CancellationToken ct)
    {
        if (!_handler.CanReadToken(assertion))
        {
            logger.LogWarning("Ignoring an X-Gateway-Identity header that is not a JWT");
            return (IdentityVerdict.Rejected, null);
        }
        var kid = new JsonWebToken(assertion).Kid;
        var signingKeys = await keys.GetAsync(string.IsNullOrEmpty(kid) ? null : kid, ct);
        if (signingKeys.Count == 0)
        {
            return (IdentityVerdict.KeysUnavailable, null);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var result = await _handler.ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidIssuer = IdentityAssertion.Issuer,
            ValidAudience = IdentityAssertion.Audience,
            IssuerSigningKeys = signingKeys,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            // Lifetime is checked against TimeProvider (testable) rather than the library's own clock.
            LifetimeValidator = (notBefore, expires, _, _) =>
                expires is { } e && e + ClockSkew > now && (notBefore is not { } n || n - ClockSkew <= now),
        });
        if (!result.IsValid)
        {
            logger.LogWarning("Ignoring an X-Gateway-Identity that failed verification: {Reason}", result.Exception?.Message);
            return (IdentityVerdict.Rejected, null);
        }
        var token = (JsonWebToken)result.SecurityToken;
        if (string.IsNullOrEmpty(token.Subject)
            || !token.TryGetPayloadValue<string>(IdentityAssertion.SessionIdClaim, out var sid) || string.IsNullOrEmpty(sid)
            || !token.TryGetPayloadValue<string>(IdentityAssertion.SupabaseTokenClaim, out var supabaseToken) || string.IsNullOrEmpty(supabaseToken))
        {
            logger.LogWarning("Ignoring an X-Gateway-Identity without sub, sid or sb_token");
            return (IdentityVerdict.Rejected, null);
        }
        var email = token.TryGetPayloadValue<string>("email", out var e) ? e ?? "" : "";
        return (IdentityVerdict.Verified, new GatewayUser(token.Subject, sid, email, supabaseToken));
    }
}
