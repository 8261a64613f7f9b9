using System.Security.Cryptography;
using System.Text.Json;
using StackExchange.Redis;

namespace SessionApi.Sessions;

/// <summary>
/// Sessions in Redis. Every key derived from the cookie uses only SHA-256(id):
/// "gw:s:{key}" → JSON record (TTL = time left), "gw:p:{publicId}" → key (same TTL),
/// "gw:u:{userId}" → set of keys (TTL = the longest TTL of its members; expired members are pruned lazily),
/// "gw:l:{key}" → the GoTrue refresh lock.
/// StackExchange.Redis commands take no cancellation token; each is bounded by the connection's command timeout.
/// </summary>
public sealed class RedisSessionStore(IConnectionMultiplexer redis) : ISessionStore
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
        redis.call('PEXPIRE', @publicKey, @ttl)
        redis.call('PEXPIRE', @userKey, @ttl, 'GT')
        return 1
        """);

    // Writers of one session are few (its own requests, a refresh, a user update); more conflicts than this is a bug.
    private const int MaxModifyAttempts = 16;

    private IDatabase Db => redis.GetDatabase();

    private static RedisKey SessionKey(string key) => "gw:s:" + key;
    private static RedisKey PublicKey(string publicId) => "gw:p:" + publicId;
    private static RedisKey UserKey(string userId) => "gw:u:" + userId;
    private static RedisKey LockKey(string key) => "gw:l:" + key;

    public async Task CreateAsync(string key, SessionRecord record, TimeSpan timeToLive, CancellationToken ct)
    {
        var ttl = Positive(timeToLive);
        var user = UserKey(record.UserId);
        var db = Db;
        // Pipelined on one connection, so Redis applies them in this order.
        await Task.WhenAll(
            db.StringSetAsync(SessionKey(key), Serialize(record), ttl),
            db.StringSetAsync(PublicKey(record.PublicId), key, ttl),
            db.SetAddAsync(user, key),
            db.KeyExpireAsync(user, ttl, ExpireWhen.HasNoExpiry),
            db.KeyExpireAsync(user, ttl, ExpireWhen.GreaterThanCurrentExpiry));
    }

    public async Task<SessionRecord?> ModifyAsync(string key, Func<SessionRecord, SessionRecord> change, Func<SessionRecord, TimeSpan> timeToLive,
        CancellationToken ct)
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
            var written = (long)await db.ScriptEvaluateAsync(CompareAndSetScript, new CompareAndSetArgs(
                SessionKey(key), PublicKey(next.PublicId), UserKey(next.UserId), stored, Serialize(next), Milliseconds(timeToLive(next))));
            if (written != 0)
            {
                return written > 0 ? next : null;
            }
        }
        throw new InvalidOperationException($"A session record kept changing under {MaxModifyAttempts} consecutive updates.");
    }

    public async Task<SessionRecord?> GetAsync(string key, CancellationToken ct)
    {
        byte[]? stored = await Db.StringGetAsync(SessionKey(key));
        return stored is null ? null : Deserialize(stored);
    }

    public async Task<string?> FindKeyAsync(string publicId, CancellationToken ct) =>
        await Db.StringGetAsync(PublicKey(publicId));

    public async Task<IReadOnlyList<(string Key, SessionRecord Record)>> ListByUserAsync(string userId, CancellationToken ct)
    {
        var db = Db;
        var members = await db.SetMembersAsync(UserKey(userId));
        if (members.Length == 0)
        {
            return [];
        }
        var keys = Array.ConvertAll(members, member => (string)member!);
        var values = await db.StringGetAsync(Array.ConvertAll(keys, SessionKey));
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
        // The session records first: once they are gone no instance can resolve these sessions.
        var deleted = await db.KeyDeleteAsync([.. sessions.Select(s => SessionKey(s.Key))]);
        await db.KeyDeleteAsync([.. sessions.Select(s => PublicKey(s.Record.PublicId))]);
        foreach (var group in sessions.GroupBy(s => s.Record.UserId))
        {
            await db.SetRemoveAsync(UserKey(group.Key), [.. group.Select(s => (RedisValue)s.Key)]);
        }
        return (int)deleted;
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

    private static long Milliseconds(TimeSpan timeToLive) => (long)Math.Max(1, timeToLive.TotalMilliseconds);

    private static TimeSpan Positive(TimeSpan timeToLive) => TimeSpan.FromMilliseconds(Milliseconds(timeToLive));

    private static byte[] Serialize(SessionRecord record) =>
        JsonSerializer.SerializeToUtf8Bytes(record, SessionStoreJsonContext.Default.SessionRecord);

    private static SessionRecord Deserialize(byte[] json) =>
        JsonSerializer.Deserialize(json, SessionStoreJsonContext.Default.SessionRecord)
        ?? throw new JsonException("A stored session record is null.");

    // Script parameters: RedisKey members travel as KEYS, the rest as ARGV.
    internal sealed record CompareAndSetArgs(RedisKey sessionKey, RedisKey publicKey, RedisKey userKey, byte[] expected, byte[] next, long ttl);

    internal sealed record ReleaseArgs(RedisKey lockKey, string token, string replacement);
}
