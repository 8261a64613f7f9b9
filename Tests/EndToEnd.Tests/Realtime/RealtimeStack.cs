using EndToEnd.Tests.Infrastructure;
using TestSupport;

namespace EndToEnd.Tests.Realtime;

/// <summary>
/// A gateway of its own for the realtime tests: minted tokens live only a few seconds (so every test also exercises
/// token rotation), no SampleWeb, and a second Proxy instance sharing the SessionApi (revocation across instances).
/// </summary>
public sealed class RealtimeStack : IAsyncLifetime
{
    public const int JwtLifetimeSeconds = 4;

    public GatewayStack Stack { get; private set; } = null!;

    public ServiceProcess SecondProxy { get; private set; } = null!;

    public string SecondProxyOrigin => SecondProxy.Url.GetLeftPart(UriPartial.Authority);

    public async Task InitializeAsync()
    {
        Stack = await GatewayStack.StartAsync(new GatewayStackOptions { JwtLifetimeSeconds = JwtLifetimeSeconds, WithSampleWeb = false });
        SecondProxy = await Stack.StartExtraProxyAsync();
    }

    public async Task DisposeAsync()
    {
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }
    }
}

/// <summary>The realtime test classes share one <see cref="RealtimeStack"/>.</summary>
[CollectionDefinition(Name)]
public sealed class RealtimeCollection : ICollectionFixture<RealtimeStack>
{
    public const string Name = "realtime";
}
