using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionApi.Tokens;

namespace SessionApi.Tests.Tokens;

/// <summary>The minter's JWS writer: tokens any JOSE library (and PostgREST) accepts, carrying exactly the given claims.</summary>
public sealed class JwtSignerTests
{
    private static readonly JsonObject Claims = JsonNode.Parse("""
        {"aud":"authenticated","sub":"5a1c6f2e-0000-4000-8000-000000000001","email":"änn@example.com","role":"authenticated",
         "app_metadata":{"provider":"email","providers":["email"]},"amr":[{"method":"password","timestamp":1764730000}],"exp":1764730300}
        """)!.AsObject();

    [Fact]
    public async Task Hs256TokensValidateCarryNoKidAndExactlyTheGivenClaims()
    {
        var credentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes("a-local-jwt-secret-of-at-least-32-characters")), SecurityAlgorithms.HmacSha256);
        var token = new JwtSigner(credentials).Sign(Claims);

        var parsed = await ValidateAsync(token, credentials.Key);
        Assert.Equal("HS256", parsed.Alg);
        Assert.False(parsed.TryGetHeaderValue<string>("kid", out _));
        Assert.Equal(Claims.ToJsonString(), Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parsed.EncodedPayload))); // nothing added
        Assert.Equal("änn@example.com", parsed.GetClaim("email").Value);
    }

    [Fact]
    public async Task Es256TokensValidateWithTheirKid()
    {
        var key = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "imported-es256" };
        var token = new JwtSigner(new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256)).Sign(Claims);

        var parsed = await ValidateAsync(token, key);
        Assert.Equal("ES256", parsed.Alg);
        Assert.Equal("imported-es256", parsed.Kid);
        var tampered = token[..^4] + (token[^4] == 'A' ? "B" : "A") + token[^3..];
        Assert.False((await Handler.ValidateTokenAsync(tampered, Parameters(key))).IsValid);
    }

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private static async Task<JsonWebToken> ValidateAsync(string token, SecurityKey key)
    {
        var result = await Handler.ValidateTokenAsync(token, Parameters(key));
        Assert.True(result.IsValid, result.Exception?.Message);
        return (JsonWebToken)result.SecurityToken;
    }

    private static TokenValidationParameters Parameters(SecurityKey key) => new()
    {
        IssuerSigningKey = key,
        ValidateIssuer = false,
        ValidAudience = "authenticated",
        ValidateLifetime = false,
    };
}
