using StackExchange.Redis;

namespace SessionApi.Sessions;

/// <summary>
/// Sessions stored before the hash-tagged layout ("gw:s:key", "gw:p:publicId", "gw:u:userId" without braces; that
/// layout only ran on a single node) are moved to the current one the first time they are read, so an upgrade signs
/// nobody out, and revoke-all also finds a user's sessions that have not been used since the upgrade.
/// Remove once every such session has expired (Sessions:AbsoluteLifetime after the upgrade, 7 days by default).
/// </summary>
public sealed partial class RedisSessionStore
{
    private static RedisKey LegacySessionKey(string key) => "gw:s:" + key;
    private static RedisKey LegacyPublicKey(string publicId) => "gw:p:" + publicId;
    private static RedisKey LegacyUserKey(string userId) => "gw:u:" + userId;

    /// <summary>The legacy record of <paramref name="key"/>, now stored in the current layout (null when there is none).</summary>
    private async Task<byte[]?> MoveLegacySessionAsync(string key, CancellationToken ct)
    {
        var db = Db;
        var legacy = await db.StringGetWithExpiryAsync(LegacySessionKey(key));
        if (legacy.Value.IsNull || legacy.Expiry is not { } timeToLive)
        {
            return null;
        }
        byte[] stored = legacy.Value!;
        var record = Deserialize(stored);
        // Current layout first (index, then record; confirmed like any sign-in), then the old keys go: a crash in
        // between leaves both, and the next read finds the current one.
        await CreateAsync(key, record, timeToLive, ct);
        await Task.WhenAll(
            db.KeyDeleteAsync(LegacySessionKey(key)),
            db.KeyDeleteAsync(LegacyPublicKey(record.PublicId)),
            db.SetRemoveAsync(LegacyUserKey(record.UserId), key));
        return stored;
    }

    private async Task MoveLegacySessionsOfUserAsync(string userId, CancellationToken ct)
    {
        var db = Db;
        var legacyMembers = await db.SetMembersAsync(LegacyUserKey(userId));
        foreach (var member in legacyMembers)
        {
            if (await MoveLegacySessionAsync(member!, ct) is null)
            {
                await db.SetRemoveAsync(LegacyUserKey(userId), member); // expired: prune
            }
        }
    }

    private async Task<string?> FindLegacyKeyAsync(string publicId) => await Db.StringGetAsync(LegacyPublicKey(publicId));
}
