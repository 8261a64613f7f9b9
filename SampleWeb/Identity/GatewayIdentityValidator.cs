using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SampleWeb.Identity;

public sealed class GatewayOptions
{
    public string SessionApiUrl { get; set; } = "http://sessionapi";
}

/// <summary>
/// Verifies X-Gateway-Identity: ES256 only, issuer "supabase-gateway", audience "sampleweb", unexpired, signed by a
/// key from the SessionApi's JWKS (refetched on an unknown kid, at most every 30 s). Anything else is anonymous.
/// </summary>
public sealed class GatewayIdentityValidator(IHttpClientFactory httpClients, IOptions<GatewayOptions> options, TimeProvider time, ILogger<GatewayIdentityValidator> logger)
{
    private readonly HttpClient http = httpClients.CreateClient(nameof(GatewayIdentityValidator));
    private readonly JsonWebTokenHandler _handler = new();
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private IList<SecurityKey> _keys = [];
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;

    public async Task<GatewayUser?> ValidateAsync(string assertion, CancellationToken ct)
    {
        JsonWebToken token;
        try
        {
            token = new JsonWebToken(assertion);
        }
        catch (ArgumentException)
        {
            logger.LogWarning("Ignoring a malformed X-Gateway-Identity header");
            return null;
        }
        if (!_keys.Any(k => k.KeyId == token.Kid))
        {
            await RefreshKeysAsync(ct);
        }
        var result = await _handler.ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidIssuer = "supabase-gateway",
            ValidAudience = "sampleweb",
            IssuerSigningKeys = _keys,
            ClockSkew = TimeSpan.FromSeconds(5),
            LifetimeValidator = (notBefore, expires, _, _) => expires is { } e && e > time.GetUtcNow().UtcDateTime.AddSeconds(-5),
        });
        if (!result.IsValid)
        {
            logger.LogWarning("Ignoring an X-Gateway-Identity that failed validation: {Reason}", result.Exception?.GetType().Name);
            return null;
        }
        var valid = (JsonWebToken)result.SecurityToken;
        return new GatewayUser(valid.Subject, valid.GetPayloadValue<string>("sid"),
            valid.TryGetPayloadValue<string>("email", out var email) ? email : "", valid.GetPayloadValue<string>("sb_token"));
    }

    private async Task RefreshKeysAsync(CancellationToken ct)
    {
        await _refresh.WaitAsync(ct);
        try
        {
            if (time.GetUtcNow() - _fetchedAt < TimeSpan.FromSeconds(30) && _keys.Count > 0)
            {
                return;
            }
            _fetchedAt = time.GetUtcNow();
            var json = await http.GetStringAsync(options.Value.SessionApiUrl.TrimEnd('/') + "/.well-known/jwks.json", ct);
            _keys = new JsonWebKeySet(json).GetSigningKeys();
        }
        catch (HttpRequestException e)
        {
            logger.LogWarning("Could not fetch the SessionApi JWKS: {Reason}", e.Message);
        }
        finally
        {
            _refresh.Release();
        }
    }
}
