using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TestSupport;

namespace EndToEnd.Tests.Hardening;

/// <summary>Tokens an attacker can make: unsigned, signed with the wrong key, or with the algorithm swapped.</summary>
public static class HostileTokens
{
    private static readonly Dictionary<string, object> Claims = new()
    {
        ["sub"] = "00000000-0000-4000-8000-00000000beef",
        ["role"] = "service_role",
        ["aud"] = "authenticated",
        ["email"] = "mallory@example.com",
    };

    public static string AlgNone() => Unsigned("none");

    /// <summary>"None" spelled differently slips past naive comparisons.</summary>
    public static string AlgNoneMixedCase() => Unsigned("nOnE");

    public static string Hs256(string secret) => new JsonWebTokenHandler().CreateToken(Descriptor(
        new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256)));

    public static string Es256Foreign(string kid)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new JsonWebTokenHandler().CreateToken(Descriptor(new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256)));
    }

    /// <summary>Key confusion: HS256 whose HMAC secret is an EC public key (as if the verifier used its ES256 key as a secret).</summary>
    public static string HsWithPublicKeyAsSecret(string kid)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var secret = key.ExportSubjectPublicKeyInfoPem();
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT", kid }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(Payload()));
        var signature = Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(header + "." + payload)));
        return $"{header}.{payload}.{signature}";
    }

    public static string RealSecretServiceRole() => Hs256(LocalSupabaseKeys.JwtSecret);

    private static string Unsigned(string alg)
    {
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg, typ = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(Payload()));
        return $"{header}.{payload}.";
    }

    private static Dictionary<string, object> Payload() => new(Claims)
    {
        ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
        ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
    };

    private static SecurityTokenDescriptor Descriptor(SigningCredentials credentials) => new()
    {
        Claims = Claims,
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = credentials,
    };

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
