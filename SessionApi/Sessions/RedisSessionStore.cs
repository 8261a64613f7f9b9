using System.Text.Json;
using SessionApi.Redis;

namespace SessionApi.Sessions;

/// <summary>
/// Sessions in Redis: "gw:s:{key}" → JSON record (TTL = time left), "gw:p:{publicId}" → key (same TTL),
/// "gw:u:{userId}" → set of keys (pruned lazily when members have expired).
/// </summary>
public sealed class RedisSessionStore(IRedisClient redis) : ISessionStore
{
    private static string SessionKey(string key) => "gw:s:" + key;
    private static string PublicKey(string publicId) => "gw:p:" + publicId;
    private static string UserKey(string userId) => "gw:u:" + userId;

    public async Task SaveAsync(string key, SessionRecord record, TimeSpan timeToLive, CancellationToken ct)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(record, SessionStoreJsonContext.Default.SessionRecord);
        var ms = (long)Math.Max(1, timeToLive.TotalMilliseconds);
        await Task.WhenAll(
            redis.ExecuteAsync("SET", [SessionKey(key), json, "PX", ms], ct),
            redis.ExecuteAsync("SET", [PublicKey(record.PublicId), key, "PX", ms], ct),
            redis.ExecuteAsync("SADD", [UserKey(record.UserId), key], ct));
    }

    public async Task<SessionRecord?> GetAsync(string key, CancellationToken ct)
    {
        var reply = await redis.ExecuteAsync("GET", [SessionKey(key)], ct);
        return reply.IsNull ? null : JsonSerializer.Deserialize(reply.AsBytes(), SessionStoreJsonContext.Default.SessionRecord);
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
            result.Add((keys[i], JsonSerializer.Deserialize(values.Items[i].AsBytes(), SessionStoreJsonContext.Default.SessionRecord)!));
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
        var deleted = await redis.ExecuteAsync("DEL", sessions.Select(s => (RedisArg)SessionKey(s.Key)).ToList(), ct);
        await redis.ExecuteAsync("DEL", sessions.Select(s => (RedisArg)PublicKey(s.Record.PublicId)).ToList(), ct);
        foreach (var group in sessions.GroupBy(s => s.Record.UserId))
        {
            await redis.ExecuteAsync("SREM", [UserKey(group.Key), .. group.Select(s => (RedisArg)s.Key)], ct);
        }
        return (int)deleted.AsLong();
    }
}
