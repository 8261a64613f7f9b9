using System.Security.Cryptography;
using System.Text.Json;
using SessionApi.Storage;
using StackExchange.Redis;

namespace SessionApi.Sessions;

/// <summary>
/// Sessions in Redis, laid out for a cluster (hash slots): every key carries a hash tag, so what one step touches is
/// in one slot. Per session, tagged by the key (SHA-256 of the cookie id, never the id itself):
/// "gw:s:{key}" → JSON record (TTL = time left), "gw:l:{key}" → the GoTrue refresh lock.
/// Per user, tagged by the user id: "gw:u:{userId}" → set of session keys (TTL = the longest TTL of its members;
/// expired members are pruned lazily), "gw:p:{userId}:publicId" → key (same TTL as the session).
/// No step needs two slots: a session's compare-and-set touches its record only; the user's index is written first
/// on create (so every record is reachable by revoke-all) and its expiries follow each write.
/// Sign-ins, revocations and GoTrue refreshes are confirmed on a replica (<see cref="ReplicaAcknowledgement"/>).
/// StackExchange.Redis commands take no cancellation token; each is bounded by the connection's command timeout.
/// </summary>
public sealed partial class RedisSessionStore(IConnectionMultiplexer redis, ReplicaAcknowledgement? replicas = null) : ISessionStore
{
    // Compare-and-delete / compare-and-replace, so a slow holder never releases a lock someone else took since.
    // Prepared once: StackExchange.Redis sends it by SHA (EVALSHA) and reloads it itself after a Redis restart.
    private static readonly LuaScript ReleaseScript = LuaScript.Prepare("""
        if redis.call('GET', @lockKey) ~= @token then return 0 end
        if @replacement == '' then return redis.call('DEL', @lockKey) end
        return redis.call('SET', @lockKey, @replacement, 'KEEPTTL') and 1
        """);

    // Replace the record only if it is still exactly what the caller read (-1: gone, 0: someone wrote in between).
    private static readonly LuaScript CompareAndSetScript = LuaScript.Prepare("""
        local current = redis.call('GET', @sessionKey)
        if not current then return -1 end
        if current ~= @expected then return 0 end
        redis.call('SET', @sessionKey, @next, 'PX', @ttl)
        return 1
        """);

    // Writers of one session are few (its own requests, a refresh, a user update); more conflicts than this is a bug.
    private const int MaxModifyAttempts = 16;

    private IDatabase Db => redis.GetDatabase();

    internal static RedisKey SessionKey(string key) => "gw:s:{" + key + "}";
    internal static RedisKey LockKey(string key) => "gw:l:{" + key + "}";
    internal static RedisKey UserKey(string userId) => "gw:u:{" + userId + "}";
    internal static RedisKey PublicKey(string userId, string publicId) => "gw:p:{" + userId + "}:" + publicId;

    public async Task CreateAsync(string key, SessionRecord record, TimeSpan timeToLive, CancellationToken ct)
    {
        var ttl = Positive(timeToLive);
        var user = UserKey(record.UserId);
        var db = Db;
        // The user's index first: a record that exists is always reachable by revoke-all. Pipelined in the user's slot.
        await Task.WhenAll(
            db.StringSetAsync(PublicKey(record.UserId, record.PublicId), key, ttl),
            db.SetAddAsync(user, key),
            db.KeyExpireAsync(user, ttl, ExpireWhen.HasNoExpiry),
            db.KeyExpireAsync(user, ttl, ExpireWhen.GreaterThanCurrentExpiry));
        await db.StringSetAsync(SessionKey(key), Serialize(record), ttl);
        await ConfirmAsync([user, SessionKey(key)], ct);
    }

    public async Task<SessionRecord?> ModifyAsync(string key, Func<SessionRecord, SessionRecord> change, Func<SessionRecord, TimeSpan> timeToLive,
        CancellationToken ct, bool confirmOnReplica = false)
    {
        var db = Db;
        for (var attempt = 0; attempt < MaxModifyAttempts; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            byte[]? stored = await db.StringGetAsync(SessionKey(key));
            if (stored is null)
            {
                return null;
            }
            var current = Deserialize(stored);
            var next = change(current);
            var ttl = Positive(timeToLive(next));
            var written = (long)await db.ScriptEvaluateAsync(CompareAndSetScript, new CompareAndSetArgs(
                SessionKey(key), stored, Serialize(next), (long)ttl.TotalMilliseconds));
            if (written == 0)
            {
                continue;
            }
            if (written < 0)
            {
                return null;
            }
            // The user's index lives as long as its longest session (its own slot, so not part of the script).
            var user = UserKey(next.UserId);
            await Task.WhenAll(
                db.KeyExpireAsync(PublicKey(next.UserId, next.PublicId), ttl),
                db.KeyExpireAsync(user, ttl, ExpireWhen.GreaterThanCurrentExpiry));
            if (confirmOnReplica)
            {
                await ConfirmAsync([SessionKey(key)], ct);
            }
            return next;
        }
        throw new InvalidOperationException($"A session record kept changing under {MaxModifyAttempts} consecutive updates.");
    }

    public async Task<SessionRecord?> GetAsync(string key, CancellationToken ct)
    {
        byte[]? stored = await Db.StringGetAsync(SessionKey(key));
        stored ??= await MoveLegacySessionAsync(key, ct);
        return stored is null ? null : Deserialize(stored);
    }

    public async Task<string?> FindKeyAsync(string userId, string publicId, CancellationToken ct) =>
        (string?)await Db.StringGetAsync(PublicKey(userId, publicId)) ?? await FindLegacyKeyAsync(publicId);

    public async Task<IReadOnlyList<(string Key, SessionRecord Record)>> ListByUserAsync(string userId, CancellationToken ct)
    {
        var db = Db;
        await MoveLegacySessionsOfUserAsync(userId, ct);
        var members = await db.SetMembersAsync(UserKey(userId));
        if (members.Length == 0)
        {
            return [];
        }
        var keys = Array.ConvertAll(members, member => (string)member!);
        // One GET per record (each in its own slot), pipelined.
        var values = await Task.WhenAll(keys.Select(k => db.StringGetAsync(SessionKey(k))));
        var result = new List<(string, SessionRecord)>();
        var gone = new List<RedisValue>();
        for (var i = 0; i < keys.Length; i++)
        {
            if (values[i].IsNull)
            {
                gone.Add(keys[i]);
                continue;
            }
            result.Add((keys[i], Deserialize((byte[])values[i]!)));
        }
        if (gone.Count > 0)
        {
            await db.SetRemoveAsync(UserKey(userId), [.. gone]);
        }
        return result;
    }

    public async Task<int> DeleteAsync(IReadOnlyList<(string Key, SessionRecord Record)> sessions, CancellationToken ct)
    {
        if (sessions.Count == 0)
        {
            return 0;
        }
        var db = Db;
        // The session records first (one DEL per slot, pipelined): once they are gone no instance can resolve them.
        var deleted = await Task.WhenAll(sessions.Select(s => db.KeyDeleteAsync(SessionKey(s.Key))));
        var written = sessions.Select(s => SessionKey(s.Key)).ToList();
        foreach (var group in sessions.GroupBy(s => s.Record.UserId))
        {
            // Same slot (the user's tag): one DEL and one SREM.
            await db.KeyDeleteAsync([.. group.Select(s => PublicKey(group.Key, s.Record.PublicId))]);
            await db.SetRemoveAsync(UserKey(group.Key), [.. group.Select(s => (RedisValue)s.Key)]);
            written.Add(UserKey(group.Key));
        }
        await ConfirmAsync(written, ct);
        return deleted.Count(d => d);
    }

    public async Task<string?> TryLockRefreshAsync(string key, TimeSpan timeToLive, CancellationToken ct)
    {
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var taken = await Db.StringSetAsync(LockKey(key), token, Positive(timeToLive), When.NotExists);
        return taken ? token : null;
    }

    public async Task<string?> PeekRefreshLockAsync(string key, CancellationToken ct) =>
        await Db.StringGetAsync(LockKey(key));

    public Task ReleaseRefreshLockAsync(string key, string token, string? replacement, CancellationToken ct) =>
        Db.ScriptEvaluateAsync(ReleaseScript, new ReleaseArgs(LockKey(key), token, replacement ?? ""));

    private Task ConfirmAsync(IEnumerable<RedisKey> keys, CancellationToken ct) =>
        replicas is null ? Task.CompletedTask : replicas.ConfirmAsync(keys, ct);

    private static long Milliseconds(TimeSpan timeToLive) => (long)Math.Max(1, timeToLive.TotalMilliseconds);

    private static TimeSpan Positive(TimeSpan timeToLive) => TimeSpan.FromMilliseconds(Milliseconds(timeToLive));

    private static byte[] Serialize(SessionRecord record) =>
        JsonSerializer.SerializeToUtf8Bytes(record, SessionStoreJsonContext.Default.SessionRecord);

    private static SessionRecord Deserialize(byte[] json) =>
        JsonSerializer.Deserialize(json, SessionStoreJsonContext.Default.SessionRecord)
        ?? throw new JsonException("A stored session record is null.");

    // Script parameters: RedisKey members travel as KEYS, the rest as ARGV.
    internal sealed record CompareAndSetArgs(RedisKey sessionKey, byte[] expected, byte[] next, long ttl);

    internal sealed record ReleaseArgs(RedisKey lockKey, string token, string replacement);
}
