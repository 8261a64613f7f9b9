using TestSupport;

namespace Gateway.Bench.Stack;

/// <summary>
/// Everything on loopback as separate processes, declared with the end-to-end tests' builder (TestStackBuilder):
/// redis-server, PostgreSQL + the Supabase emulator, the SessionApi and two Proxies — one whose Supabase is the bench
/// upstream (HTTP scenarios, memory) and one whose Supabase is the emulator (sign-in, Realtime, socket revocation),
/// sharing the SessionApi as instances of one deployment do — plus the bench upstream and a bare YARP.
/// </summary>
public sealed class BenchStack : IAsyncDisposable
{
    /// <summary>Production-like logging: per-request Information logs (Kestrel, YARP) would dominate the hot path.</summary>
    private static readonly Dictionary<string, string?> Quiet = new()
    {
        ["Logging:LogLevel:Default"] = "Warning",
    };

    private TestStack _gateway = null!;

    public RedisServer Redis => _gateway.Redis;
    public PostgresServer Postgres => _gateway.Postgres;
    public ServiceProcess Emulator => _gateway.Emulator;
    public ServiceProcess SessionApi => _gateway.SessionApi;
    public ServiceProcess Upstream { get; private set; } = null!;
    public ServiceProcess BareYarp { get; private set; } = null!;

    /// <summary>The Proxy in front of the bench upstream.</summary>
    public ServiceProcess Proxy => _gateway.Proxies[0];

    /// <summary>The Proxy in front of the emulator (GoTrue, Realtime).</summary>
    public ServiceProcess EmulatorProxy => _gateway.Proxies[1];

    public string SessionApiCallerKey => _gateway.CallerKey;

    public const int JwtLifetimeSeconds = 300;

    /// <summary>Keep appendfsync-always (the AppHost's and the test fixture's setting) instead of snapshots only.</summary>
    public bool FsyncEveryWrite { get; init; }

    public string ProxyLogLevel { get; init; } = "Warning";

    public static string OriginOf(ServiceProcess process) => TestStack.OriginOf(process);

    public static async Task<BenchStack> StartAsync(BenchOptions options, Action<string> log)
    {
        var stack = new BenchStack { FsyncEveryWrite = options.RedisFsyncAlways, ProxyLogLevel = options.ProxyLogLevel, RateLimits = options.RateLimits };
        try
        {
            await stack.InitializeAsync(log);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync(Action<string> log)
    {
        log("starting the bench upstream and bare YARP");
        Upstream = await ServiceProcess.StartAsync("upstream", "bench/Gateway.Bench", With(new() { ["Bench:Role"] = "upstream" }));
        BareYarp = await ServiceProcess.StartAsync("bare-yarp", "bench/Gateway.Bench", With(new()
        {
            ["Bench:Role"] = "bare-yarp",
            ["Bench:UpstreamUrl"] = ServiceSettings.Trim(Upstream.Url),
        }));

        _gateway = await new TestStackBuilder()
            .WithJwtLifetime(JwtLifetimeSeconds)
            .WithProxy("proxy", supabase: Upstream.Url)
            .WithProxy("proxy-emulator")
            .ConfigureAll(Quiet)
            .WithRateLimits()
            .Configure(StackService.Proxy, RateLimitSettings(new Dictionary<string, string?>
            {
                // The scale scenario keeps 100,000 sessions cached (plus the other scenarios' few thousand).
                ["Gateway:SessionCacheSize"] = "150000",
                ["Logging:LogLevel:Default"] = ProxyLogLevel,
            }))
            .WaitingForSessionEventStreams()
            .StartAsync(log);
        if (!FsyncEveryWrite)
        {
            await RedisConfig.UseSnapshotsOnlyAsync(Redis.Port);
        }
    }

    /// <summary>Whether the Proxies count sign-ins and session calls against their (shared, Redis) rate limits.</summary>
    public bool RateLimits { get; init; } = true;

    /// <summary>
    /// Rate limits on, as shipped, so a sign-in pays the limiter's round trip to the SessionApi like a user's does;
    /// the budgets are far above anything the bench sends, so every hit is counted and none is refused.
    /// </summary>
    private Dictionary<string, string?> RateLimitSettings(Dictionary<string, string?> settings)
    {
        settings["Gateway:RateLimits:Enabled"] = RateLimits ? "true" : "false";
        foreach (var kind in new[] { "SignIn", "Refresh", "Otp", "Session" })
        {
            settings[$"Gateway:RateLimits:{kind}:PerIp"] = "100000000";
            settings[$"Gateway:RateLimits:{kind}:PerSession"] = "100000000";
        }
        return settings;
    }

    private static Dictionary<string, string?> With(Dictionary<string, string?> settings)
    {
        foreach (var (key, value) in Quiet)
        {
            settings.TryAdd(key, value);
        }
        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        foreach (var service in new[] { BareYarp, Upstream })
        {
            if (service is not null)
            {
                await service.DisposeAsync();
            }
        }
    }
}
