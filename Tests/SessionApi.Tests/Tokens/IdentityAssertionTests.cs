using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionApi.Tests.Sessions;
using SessionApi.Tests.Support;
using TestSupport;

namespace SessionApi.Tests.Tokens;

/// <summary>The ES256 identity assertion SampleWeb verifies with the SessionApi's JWKS.</summary>
public sealed class IdentityAssertionTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task TheAssertionVerifiesWithThePublishedKeyAndCarriesTheSessionAndItsSupabaseToken()
    {
        using var identityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var host = new SessionTestHost(_redis, new ManualTime(), new()
        {
            ["Identity:SigningKeyPem"] = identityKey.ExportPkcs8PrivateKeyPem(),
            ["Identity:KeyId"] = "identity-2026",
        });
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "id@example.com"));

        // The JWKS is public (SampleWeb fetches it without the caller key) and never holds the HS256 secret.
        var jwks = new JsonWebKeySet(await host.CreateClient().GetStringAsync("/.well-known/jwks.json"));
        var published = Assert.Single(jwks.Keys);
        Assert.Equal("identity-2026", published.Kid);
        Assert.Equal("EC", published.Kty);
        Assert.Null(published.D); // public half only

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(created.Token.IdentityAssertion, new TokenValidationParameters
        {
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidIssuer = "supabase-gateway",
            ValidAudience = "sampleweb",
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        var assertion = (JsonWebToken)result.SecurityToken;
        Assert.Equal("identity-2026", assertion.Kid);
        Assert.Equal(userId, assertion.Subject);
        Assert.Equal(created.Session.Id, assertion.GetPayloadValue<string>("sid"));
        Assert.Equal("id@example.com", assertion.GetPayloadValue<string>("email"));
        Assert.Equal(created.Token.AccessToken, assertion.GetPayloadValue<string>("sb_token"));
        Assert.Equal(new JsonWebToken(created.Token.AccessToken).ValidTo, assertion.ValidTo);
        Assert.Equal(created.Token.ExpiresAt.UtcDateTime, assertion.ValidTo);

        // A key SampleWeb does not trust cannot forge one.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = await new JsonWebTokenHandler().ValidateTokenAsync(created.Token.IdentityAssertion, new TokenValidationParameters
        {
            IssuerSigningKey = new ECDsaSecurityKey(other) { KeyId = "identity-2026" },
            ValidIssuer = "supabase-gateway",
            ValidAudience = "sampleweb",
        });
        Assert.False(forged.IsValid);
    }
}
