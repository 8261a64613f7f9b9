using System.Diagnostics;
using System.Net;
using SessionApi.Tests.Sessions;
using SessionApi.Tests.Support;
using TestSupport;
using Xunit.Abstractions;

namespace SessionApi.Tests.Api;

/// <summary>Redis accepts commands but does not answer (blocked): calls fail closed with a 503 after the command timeout,
/// not when Redis wakes up, and the connection stays in step afterwards.</summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class StalledRedisTests(SharedRedis shared, ITestOutputHelper output) : IClassFixture<SharedRedis>
{
    [Fact]
    public async Task AStalledRedisGivesA503AtTheCommandTimeoutAndTheSessionIsFineAfterwards()
    {
        using var host = new SessionTestHost(shared.Server, new ManualTime(),
            new() { ["ConnectionStrings:redis"] = shared.Server.ConnectionString + ",asyncTimeout=1000" });
        var http = host.Caller();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "stalled@example.com"));
        await using var admin = await RedisConnections.AdminAsync(shared.Server.ConnectionString + ",asyncTimeout=10000");

        // Blocked for 4 s against a 1 s timeout, so scheduling delays cannot make the timeout and the late answer look alike.
        var sleeping = admin.GetDatabase().ExecuteAsync("DEBUG", "SLEEP", "4");
        await Task.Delay(100);
        var watch = Stopwatch.StartNew();
        var response = await http.ResolveAsync(created.Cookie);
        output.WriteLine($"{(int)response.StatusCode} after {watch.ElapsedMilliseconds} ms: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.InRange(watch.ElapsedMilliseconds, 900, 3_300); // the timeout (checked once a second), not Redis waking up at ~3.9 s
        await sleeping;

        Assert.Equal(HttpStatusCode.OK, (await http.ResolveAsync(created.Cookie)).StatusCode);
    }
}
