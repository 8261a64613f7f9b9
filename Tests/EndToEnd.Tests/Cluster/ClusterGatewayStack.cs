using System.Security.Cryptography;
using EndToEnd.Tests.Infrastructure;
using TestSupport;

namespace EndToEnd.Tests.Cluster;

/// <summary>
/// The gateway scaled out on a Redis Cluster, as Container Apps and Azure Managed Redis (OSS clustering policy) run it:
/// 3 masters + 3 replicas, two SessionApi instances and two Proxies. Proxy 1 talks to SessionApi 1, Proxy 2 to
/// SessionApi 2, so anything that must hold across instances (revocation events, the refresh lock, rate-limit
/// budgets) can only hold through the cluster. The user webhook is on (pointed at Proxy 1), OTP-type requests have a
/// small shared budget, and GoTrue's tokens live 16 s so the SessionApis refresh them server-side.
/// </summary>
public sealed class ClusterGatewayStack : IAsyncLifetime
{
    public const int OtpBudget = 3;
    public const int GoTrueTokenLifetimeSeconds = 16;
    public static readonly byte[] WebhookKey = RandomNumberGenerator.GetBytes(32);

    public RedisCluster Redis { get; private set; } = null!;
    public GatewayStack Stack { get; private set; } = null!;
    public ServiceProcess SecondSessionApi { get; private set; } = null!;
    public ServiceProcess SecondProxy { get; private set; } = null!;
    public string SecondProxyOrigin => SecondProxy.Url.GetLeftPart(UriPartial.Authority);

    public async Task InitializeAsync()
    {
        Redis = await RedisCluster.StartAsync();
        Stack = await GatewayStack.StartAsync(new GatewayStackOptions
        {
            RedisConnectionString = Redis.ConnectionString,
            WithSampleWeb = false,
            UserWebhookSecret = "whsec_" + Convert.ToBase64String(WebhookKey),
            Extra = new Dictionary<string, IReadOnlyDictionary<string, string?>>
            {
                ["Emulator"] = new Dictionary<string, string?>
                {
                    ["Emulator:AccessTokenLifetimeSeconds"] = GoTrueTokenLifetimeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
                ["Proxy"] = new Dictionary<string, string?>
                {
                    ["Gateway:RateLimits:Enabled"] = "true",
                    ["Gateway:RateLimits:Otp:PerIp"] = OtpBudget.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["Gateway:RateLimits:Otp:WindowSeconds"] = "3600",
                },
            },
        });
        SecondSessionApi = await Stack.StartExtraSessionApiAsync();
        SecondProxy = await Stack.StartExtraProxyAsync(SecondSessionApi);
    }

    public async Task DisposeAsync()
    {
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterGatewayStack>
{
    public const string Name = "redis-cluster";
}
