using System.Text.Json;
using SessionApi.Sessions;
using SessionApi.Tests.Support;
using StackExchange.Redis;

namespace SessionApi.Tests.Sessions;

/// <summary>
/// Writers of one session race in production: the session's own requests touch it, a GoTrue refresh rotates its
/// tokens, a user-change webhook replaces its user object, possibly on different SessionApi instances. Each write is a
/// compare-and-set on what the writer read, so none of them silently undoes another.
/// </summary>
public sealed class ConcurrentWriterTests(SharedRedis redis) : IClassFixture<SharedRedis>
{
    [Fact]
    public async Task AWriteThatLandsBetweenAReadAndItsWriteIsKept()
    {
        // Two instances: two connections.
        await using var clientA = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        await using var clientB = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var instanceA = new RedisSessionStore(clientA);
        var instanceB = new RedisSessionStore(clientB);
        var key = Guid.NewGuid().ToString("N");
        var started = DateTimeOffset.UtcNow;
        await instanceA.CreateAsync(key, Record(started, "old@example.com"), TimeSpan.FromMinutes(5), CancellationToken.None);

        // Instance A touches the session; while it is computing its write, instance B applies a user update.
        var touchAttempts = 0;
        var touched = await instanceA.ModifyAsync(key, stored =>
        {
            if (Interlocked.Increment(ref touchAttempts) == 1)
            {
                instanceB.ModifyAsync(key, s => s with { User = User("new@example.com") }, _ => TimeSpan.FromMinutes(5), CancellationToken.None)
                    .GetAwaiter().GetResult();
            }
            return stored with { LastSeenAt = started.AddMinutes(2), Ip = "203.0.113.5" };
        }, _ => TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Equal(2, touchAttempts); // the first write found the record changed and was applied again
        var final = await instanceB.GetAsync(key, CancellationToken.None);
        Assert.NotNull(final);
        Assert.Equal("new@example.com", final.User.GetProperty("email").GetString()); // B's update survived A's touch
        Assert.Equal(started.AddMinutes(2), final.LastSeenAt);                         // and A's touch is there too
        Assert.Equal("203.0.113.5", final.Ip);
        Assert.Equal(final.User.GetRawText(), touched!.User.GetRawText());
    }

    [Fact]
    public async Task AModificationNeverBringsBackARevokedSession()
    {
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var store = new RedisSessionStore(client);
        var key = Guid.NewGuid().ToString("N");
        var record = Record(DateTimeOffset.UtcNow, "gone@example.com");
        await store.CreateAsync(key, record, TimeSpan.FromMinutes(5), CancellationToken.None);

        var result = await store.ModifyAsync(key, stored =>
        {
            store.DeleteAsync([(key, stored)], CancellationToken.None).GetAwaiter().GetResult(); // revoked mid-write
            return stored with { User = User("late@example.com") };
        }, _ => TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Null(result);
        Assert.Null(await store.GetAsync(key, CancellationToken.None));
        Assert.Null(await store.ModifyAsync(key, s => s, _ => TimeSpan.FromMinutes(5), CancellationToken.None));
    }

    private static JsonElement User(string email) => JsonSerializer.SerializeToElement(new { id = "6d3f0a8e-8d3c-4b7e-9f59-3f1f2f0b9a11", email });

    private static SessionRecord Record(DateTimeOffset now, string email) => new()
    {
        PublicId = Guid.NewGuid().ToString(),
        UserId = "6d3f0a8e-8d3c-4b7e-9f59-3f1f2f0b9a11",
        CreatedAt = now,
        LastSeenAt = now,
        AbsoluteExpiresAt = now.AddDays(1),
        SealedRefreshToken = "sealed",
        User = User(email),
        Amr = JsonSerializer.SerializeToElement(new[] { new { method = "password", timestamp = now.ToUnixTimeSeconds() } }),
        Claims = JsonSerializer.SerializeToElement(new { sub = "6d3f0a8e-8d3c-4b7e-9f59-3f1f2f0b9a11", role = "authenticated" }),
    };
}
