using System.Security.Cryptography;
using System.Text.Json;
using SessionApi.Redis;

namespace SessionApi.Sessions;

/// <summary>
/// Sessions in Redis. Every key derived from the cookie uses only SHA-256(id):
/// "gw:s:{key}" → JSON record (TTL = time left), "gw:p:{publicId}" → key (same TTL),
/// "gw:u:{userId}" → set of keys (TTL = the longest TTL of its members; expired members are pruned lazily),
/// "gw:l:{key}" → the GoTrue refresh lock.
/// </summary>
public sealed class RedisSessionStore(IRedisClient redis) : ISessionStore
{
    // Compare-and-delete / compare-and-replace, so a slow holder never releases a lock someone else took since.
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
        return redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') and 1
        """;

    // Replace the record only if it is still exactly what the caller read (-1: gone, 0: someone wrote in between).
    private const string CompareAndSetScript = """
        local current = redis.call('GET', KEYS[1])
        if not current then return -1 end
        if current ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        redis.call('PEXPIRE', KEYS[2], ARGV[3])
        redis.call('PEXPIRE', KEYS[3], ARGV[3], 'GT')
        return 1
        """;

    // Writers of one session are few (its own requests, a refresh, a user update); more conflicts than this is a bug.
    private const int MaxModifyAttempts = 16;

    private static string SessionKey(string key) => "gw:s:" + key;
    private static string PublicKey(string publicId) => "gw:p:" + publicId;
    private static string UserKey(string userId) => "gw:u:" + userId;
    private static string LockKey(string key) => "gw:l:" + key;

    public async Task CreateAsync(string key, SessionRecord record, TimeSpan timeToLive, CancellationToken ct)
    {
        var ms = Milliseconds(timeToLive);
        var user = UserKey(record.UserId);
        // Pipelined on one connection, so Redis applies them in this order.
        await Task.WhenAll(
            redis.ExecuteAsync("SET", [SessionKey(key), Serialize(record), "PX", ms], ct),
            redis.ExecuteAsync("SET", [PublicKey(record.PublicId), key, "PX", ms], ct),
            redis.ExecuteAsync("SADD", [user, key], ct),
            redis.ExecuteAsync("PEXPIRE", [user, ms, "NX"], ct),
            redis.ExecuteAsync("PEXPIRE", [user, ms, "GT"], ct));
    }

    public async Task<SessionRecord?> ModifyAsync(string key, Func<SessionRecord, SessionRecord> change, Func<SessionRecord, TimeSpan> timeToLive,
        CancellationToken ct)
    {
        for (var attempt = 0; attempt < MaxModifyAttempts; attempt++)
        {
            var stored = (await redis.ExecuteAsync("GET", [SessionKey(key)], ct)).AsBytes();
            if (stored is null)
            {
                return null;
            }
            var current = Deserialize(stored);
            var next = change(current);
            var written = (await redis.ExecuteAsync("EVAL",
                [CompareAndSetScript, 3L, SessionKey(key), PublicKey(next.PublicId), UserKey(next.UserId),
                 stored, Serialize(next), Milliseconds(timeToLive(next))], ct)).AsLong();
            if (written != 0)
            {
                return written > 0 ? next : null;
            }
        }
        throw new InvalidOperationException($"A session record kept changing under {MaxModifyAttempts} consecutive updates.");
    }

    public async Task<SessionRecord?> GetAsync(string key, CancellationToken ct)
    {
        var reply = await redis.ExecuteAsync("GET", [SessionKey(key)], ct);
        return reply.IsNull ? null : Deserialize(reply.AsBytes()!);
    }

    public async Task<string?> FindKeyAsync(string publicId, CancellationToken ct) =>
        (await redis.ExecuteAsync("GET", [PublicKey(publicId)], ct)).AsString();

    public async Task<IReadOnlyList<(string Key, SessionRecord Record)>> ListByUserAsync(string userId, CancellationToken ct)
    {
        var members = await redis.ExecuteAsync("SMEMBERS", [UserKey(userId)], ct);
        var keys = members.Items.Select(item => item.AsString()!).ToList();
        if (keys.Count == 0)
        {
            return [];
        }
        var values = await redis.ExecuteAsync("MGET", keys.Select(k => (RedisArg)SessionKey(k)).ToList(), ct);
        var result = new List<(string, SessionRecord)>();
        var gone = new List<RedisArg> { UserKey(userId) };
        for (var i = 0; i < keys.Count; i++)
        {
            if (values.Items[i].IsNull)
            {
                gone.Add(keys[i]);
                continue;
            }
            result.Add((keys[i], Deserialize(values.Items[i].AsBytes()!)));
        }
        if (gone.Count > 1)
        {
            await redis.ExecuteAsync("SREM", gone, ct);
        }
        return result;
    }

    public async Task<int> DeleteAsync(IReadOnlyList<(string Key, SessionRecord Record)> sessions, CancellationToken ct)
    {
        if (sessions.Count == 0)
        {
            return 0;
        }
        // The session records first: once they are gone no instance can resolve these sessions.
        var deleted = await redis.ExecuteAsync("DEL", sessions.Select(s => (RedisArg)SessionKey(s.Key)).ToList(), ct);
        await redis.ExecuteAsync("DEL", sessions.Select(s => (RedisArg)PublicKey(s.Record.PublicId)).ToList(), ct);
        foreach (var group in sessions.GroupBy(s => s.Record.UserId))
        {
            await redis.ExecuteAsync("SREM", [UserKey(group.Key), .. group.Select(s => (RedisArg)s.Key)], ct);
        }
        return (int)deleted.AsLong();
    }

    public async Task<string?> TryLockRefreshAsync(string key, TimeSpan timeToLive, CancellationToken ct)
    {
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var reply = await redis.ExecuteAsync("SET", [LockKey(key), token, "NX", "PX", Milliseconds(timeToLive)], ct);
        return reply.IsNull ? null : token;
    }

    public async Task<string?> PeekRefreshLockAsync(string key, CancellationToken ct) =>
        (await redis.ExecuteAsync("GET", [LockKey(key)], ct)).AsString();

    public Task ReleaseRefreshLockAsync(string key, string token, string? replacement, CancellationToken ct) =>
        redis.ExecuteAsync("EVAL", [ReleaseScript, 1L, LockKey(key), token, replacement ?? ""], ct);

    private static long Milliseconds(TimeSpan timeToLive) => (long)Math.Max(1, timeToLive.TotalMilliseconds);

    private static byte[] Serialize(SessionRecord record) =>
        JsonSerializer.SerializeToUtf8Bytes(record, SessionStoreJsonContext.Default.SessionRecord);

    private static SessionRecord Deserialize(byte[] json) =>
        JsonSerializer.Deserialize(json, SessionStoreJsonContext.Default.SessionRecord)
        ?? throw new JsonException("A stored session record is null.");
}
