using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace SupabaseEmulator.GoTrue;

/// <summary>The person a provider vouches for. The same email always gets the same provider id.</summary>
public sealed record ProviderUser(string Sub, string Email, string Name)
{
    public static ProviderUser ForEmail(string email)
    {
        var normalised = email.Trim().ToLowerInvariant();
        var sub = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalised)))[..20];
        return new ProviderUser(sub, normalised, normalised.Split('@')[0]);
    }

    public JsonObject IdentityData(string issuer) => new()
    {
        ["iss"] = issuer,
        ["sub"] = Sub,
        ["provider_id"] = Sub,
        ["email"] = Email,
        ["email_verified"] = true,
        ["phone_verified"] = false,
        ["name"] = Name,
        ["full_name"] = Name,
    };
}

/// <summary>
/// A fake OAuth 2 / OIDC provider named "emulator" (stands where GitHub or Google would be): its consent page
/// approves at once (email from <c>login_hint</c>), its codes are one-shot, its id tokens are HS256 JWTs signed
/// with Emulator:OAuthProviderSecret.
/// </summary>
public sealed class FakeOAuthProvider(EmulatorUrls urls, IOptions<EmulatorOptions> options, TimeProvider time)
{
    public const string Name = "emulator";
    public const string ClientId = "emulator-client";
    public const string DefaultEmail = "oauth-user@emulator.test";

    private readonly ConcurrentDictionary<string, (ProviderUser User, DateTimeOffset Expires)> _codes = new();

    public string Issuer => urls.OAuthProviderUrl;

    private byte[] Secret => Encoding.UTF8.GetBytes(options.Value.OAuthProviderSecret);

    public string IssueCode(ProviderUser user)
    {
        var code = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _codes[code] = (user, time.GetUtcNow().AddMinutes(10));
        return code;
    }

    public ProviderUser? RedeemCode(string code) =>
        _codes.TryRemove(code, out var entry) && entry.Expires > time.GetUtcNow() ? entry.User : null;

    /// <summary>An OIDC id token for <paramref name="user"/>; <paramref name="nonce"/> is put in as given.</summary>
    public string IdToken(ProviderUser user, string? nonce)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["iss"] = Issuer, ["aud"] = ClientId, ["sub"] = user.Sub, ["email"] = user.Email, ["email_verified"] = true,
            ["name"] = user.Name, ["iat"] = now, ["exp"] = now + 600,
        };
        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }
        return EmulatorJwt.Sign(Secret, claims);
    }

    /// <summary>GoTrue's id_token grant checks: signature, issuer, audience, expiry, nonce (raw or its SHA-256 hex).</summary>
    public (ProviderUser? User, string? Error) VerifyIdToken(string idToken, string? nonce)
    {
        if (EmulatorJwt.Verify(Secret, idToken, 0, time.GetUtcNow().ToUnixTimeSeconds(), out var claims) != JwtProblem.None || claims is null)
        {
            return (null, "Bad ID token");
        }
        if (claims["iss"]?.ToString() != Issuer || claims["aud"]?.ToString() != ClientId)
        {
            return (null, "ID token issuer or audience is not the emulator provider");
        }
        if (claims["nonce"]?.ToString() is { } expected)
        {
            var hashed = nonce is null ? null : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(nonce)));
            if (nonce != expected && hashed != expected)
            {
                return (null, "Nonces mismatch");
            }
        }
        if (claims["sub"]?.ToString() is not { Length: > 0 } sub || claims["email"]?.ToString() is not { Length: > 0 } email)
        {
            return (null, "ID token lacks sub or email");
        }
        return (new ProviderUser(sub, email.ToLowerInvariant(), claims["name"]?.ToString() ?? email), null);
    }
}
