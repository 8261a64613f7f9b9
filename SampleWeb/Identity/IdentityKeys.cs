using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace SampleWeb.Identity;

/// <summary>
/// The SessionApi's identity signing keys (JWKS), cached. An unknown <c>kid</c> triggers a refetch at most every
/// 30 s after a successful fetch (key rotation), and after a failed fetch a retry is allowed within a second, so a
/// SessionApi that starts after SampleWeb does not leave signed-in users anonymous for long.
/// </summary>
public sealed class IdentityKeys(IHttpClientFactory httpClients, IOptions<GatewayIdentityOptions> options, TimeProvider time, ILogger<IdentityKeys> logger)
{
    public const string HttpClientName = "identity-jwks";
    private static readonly TimeSpan RefetchInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private volatile IReadOnlyList<SecurityKey> _keys = [];
    private DateTimeOffset _nextFetchAllowed = DateTimeOffset.MinValue;

    /// <summary>True once a JWKS has been loaded (the readiness check reports this).</summary>
    public bool Loaded => _keys.Count > 0;

    /// <summary>The cached keys, refreshed first when <paramref name="kid"/> is not among them (and a fetch is allowed).</summary>
    public async Task<IReadOnlyList<SecurityKey>> GetAsync(string? kid, CancellationToken ct)
    {
        var keys = _keys;
        if (keys.Count > 0 && (kid is null || keys.Any(k => k.KeyId == kid)))
        {
            return keys;
        }
        await _fetching.WaitAsync(ct);
        try
        {
            keys = _keys;
            if ((keys.Count > 0 && (kid is null || keys.Any(k => k.KeyId == kid))) || time.GetUtcNow() < _nextFetchAllowed)
            {
                return keys;
            }
            var fetched = await FetchAsync(ct);
            _nextFetchAllowed = time.GetUtcNow() + (fetched is null ? RetryInterval : RefetchInterval);
            if (fetched is not null)
            {
                _keys = keys = fetched;
            }
            return keys;
        }
        finally
        {
            _fetching.Release();
        }
    }

    private async Task<IReadOnlyList<SecurityKey>?> FetchAsync(CancellationToken ct)
    {
        var url = options.Value.SessionApiUrl.TrimEnd('/') + "/.well-known/jwks.json";
        try
        {
            var json = await httpClients.CreateClient(HttpClientName).GetStringAsync(url, ct);
            var keys = new JsonWebKeySet(json).GetSigningKeys()
                .Where(k => k is ECDsaSecurityKey or JsonWebKey { Kty: JsonWebAlgorithmsKeyTypes.EllipticCurve })
                .ToList();
            if (keys.Count == 0)
            {
                logger.LogWarning("The identity JWKS at {Url} holds no EC signing key", url);
                return null;
            }
            logger.LogInformation("Loaded {Count} identity signing key(s) from {Url}", keys.Count, url);
            return keys;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or ArgumentException
                                      || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            logger.LogWarning("Could not load the identity JWKS from {Url}: {Reason}", url, e.Message);
            return null;
        }
    }
}
