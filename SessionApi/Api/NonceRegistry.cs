using Gateway.Contracts;
using SessionApi.Sessions;
using StackExchange.Redis;

namespace SessionApi.Api;

/// <summary>One-time ids (webhook replay protection) shared by every Proxy instance: SET NX with a TTL in Redis.</summary>
public sealed class NonceRegistry(IConnectionMultiplexer redis)
{
    private const int MaxTtlSeconds = 24 * 3600;

    /// <summary>True the first time an id is recorded within its TTL; false for a replay.</summary>
    public async Task<bool> TryRecordAsync(NonceRequest request, CancellationToken ct)
    {
        if (request is null || string.IsNullOrEmpty(request.Scope) || request.Scope.Length > 64 || string.IsNullOrEmpty(request.Id)
            || request.Id.Length > 256 || request.TtlSeconds is <= 0 or > MaxTtlSeconds)
        {
            throw new InvalidSessionRequestException($"scope (≤ 64 chars), id (≤ 256 chars) and ttlSeconds (1-{MaxTtlSeconds}) are required.");
        }
        ct.ThrowIfCancellationRequested();
        return await redis.GetDatabase().StringSetAsync(Key(request.Scope, request.Id), "1", TimeSpan.FromSeconds(request.TtlSeconds), When.NotExists);
    }

    /// <summary>Forgets an id whose delivery could not be applied, so the sender's retry is not taken for a replay.</summary>
    public async Task<bool> ReleaseAsync(string scope, string id, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(scope) || scope.Length > 64 || string.IsNullOrEmpty(id) || id.Length > 256)
        {
            throw new InvalidSessionRequestException("scope (≤ 64 chars) and id (≤ 256 chars) are required.");
        }
        ct.ThrowIfCancellationRequested();
        return await redis.GetDatabase().KeyDeleteAsync(Key(scope, id));
    }

    private static string Key(string scope, string id) => $"gw:nonce:{scope}:{id}";
}
