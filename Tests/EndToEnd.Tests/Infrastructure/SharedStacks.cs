using TestSupport;

namespace EndToEnd.Tests.Infrastructure;

/// <summary>The whole gateway with SampleWeb, shared by the <see cref="GatewayCollection"/> (API, browser, storage tests).</summary>
public sealed class SharedGatewayStack() : TestStack(new TestStackBuilder().WithSampleWeb());

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<SharedGatewayStack>
{
    public const string Name = "gateway";
}

/// <summary>
/// The realtime tests' gateway: minted tokens live only a few seconds (so every test also exercises token rotation),
/// no SampleWeb, and a second Proxy sharing the SessionApi (revocation across instances).
/// </summary>
public sealed class RealtimeGatewayStack() : TestStack(new TestStackBuilder().WithJwtLifetime(JwtLifetimeSeconds).WithProxies(2))
{
    public const int JwtLifetimeSeconds = 4;

    public ServiceProcess SecondProxy => Proxies[1];

    public string SecondProxyOrigin => OriginOf(SecondProxy);
}

[CollectionDefinition(Name)]
public sealed class RealtimeCollection : ICollectionFixture<RealtimeGatewayStack>
{
    public const string Name = "realtime";
}

/// <summary>
/// The auth-flow tests' gateway: GoTrue's external URL is the Proxy's (what <c>[auth] external_url</c> does in the
/// CLI), so OAuth callbacks and email links come back through the gateway as in production; no SampleWeb; the
/// Proxy's sign-in limits at their defaults.
/// </summary>
public sealed class AuthFlowGatewayStack() : TestStack(SharedStacks.AuthFlowTopology());

[CollectionDefinition(Name)]
public sealed class AuthFlowCollection : ICollectionFixture<AuthFlowGatewayStack>
{
    public const string Name = "auth-flows";
}

public static class SharedStacks
{
    /// <summary>What the auth-flow suites share: GoTrue behind the Proxy, production sign-in limits.</summary>
    public static TestStackBuilder AuthFlowTopology() => new TestStackBuilder().WithGoTrueBehindTheProxy().WithRateLimits();
}
