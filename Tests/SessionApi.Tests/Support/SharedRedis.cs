using TestSupport;

namespace SessionApi.Tests.Support;

/// <summary>One redis-server for a test class whose tests do not disturb each other's keys.</summary>
public sealed class SharedRedis : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
