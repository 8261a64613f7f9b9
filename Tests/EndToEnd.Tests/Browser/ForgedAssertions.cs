using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EndToEnd.Tests.Browser;

/// <summary>Identity assertions an attacker could produce: right issuer, audience and claims, wrong signature.</summary>
public static class ForgedAssertions
{
    private static Dictionary<string, object> Claims() => new()
    {
        ["sub"] = Guid.NewGuid().ToString(),
        ["sid"] = Guid.NewGuid().ToString(),
        ["email"] = "mallory@example.com",
        ["sb_token"] = "x.y.z",
    };

    private static SecurityTokenDescriptor Descriptor(SigningCredentials? credentials) => new()
    {
        Issuer = "supabase-gateway",
        Audience = "sampleweb",
        Claims = Claims(),
        Expires = DateTime.UtcNow.AddMinutes(5),
        SigningCredentials = credentials,
    };

    public static string Unsigned() => new JsonWebTokenHandler().CreateToken(Descriptor(null));

    public static string Hs256(string secret) => new JsonWebTokenHandler().CreateToken(
        Descriptor(new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256)));

    public static string Es256WithForeignKey(string kid)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new JsonWebTokenHandler().CreateToken(
            Descriptor(new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256)));
    }
}
