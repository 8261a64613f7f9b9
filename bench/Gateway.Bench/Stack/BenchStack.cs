using System.Security.Cryptography;
using TestSupport;

namespace Gateway.Bench.Stack;

/// <summary>
/// Everything on loopback as separate processes, started like the end-to-end tests start them (GatewayStack):
/// redis-server, PostgreSQL + the Supabase emulator, the SessionApi, the bench upstream, a bare YARP, and two Proxies —
/// one whose Supabase is the bench upstream (HTTP scenarios, memory) and one whose Supabase is the emulator (sign-in,
/// Realtime, socket revocation). Both Proxies share the SessionApi, as instances of one deployment do.
/// </summary>
public sealed class BenchStack : IAsyncDisposable
{
    /// <summary>Production-like logging: per-request Information logs (Kestrel, YARP) would dominate the hot path.</summary>
    private static readonly Dictionary<string, string?> Quiet = new()
    {
        ["Logging:LogLevel:Default"] = "Warning",
    };

    public RedisServer Redis { get; private set; } = null!;
    public PostgresServer Postgres { get; private set; } = null!;
    public ServiceProcess Emulator { get; private set; } = null!;
    public ServiceProcess SessionApi { get; private set; } = null!;
    public ServiceProcess Upstream { get; private set; } = null!;
    public ServiceProcess BareYarp { get; private set; } = null!;

    /// <summary>The Proxy in front of the bench upstream.</summary>
    public ServiceProcess Proxy { get; private set; } = null!;

    /// <summary>The Proxy in front of the emulator (GoTrue, Realtime).</summary>
    public ServiceProcess EmulatorProxy { get; private set; } = null!;

    public string SessionApiCallerKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    public const int JwtLifetimeSeconds = 300;

    /// <summary>Keep appendfsync-always (the AppHost's and the test fixture's setting) instead of snapshots only.</summary>
    public bool FsyncEveryWrite { get; init; }

    public string ProxyLogLevel { get; init; } = "Warning";

    public static string OriginOf(ServiceProcess process) => process.Url.GetLeftPart(UriPartial.Authority);

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
        log("starting redis-server and PostgreSQL");
        var redis = RedisServer.StartAsync();
        var postgres = PostgresServer.StartAsync();
        Redis = await redis;
        Postgres = await postgres;
        if (!FsyncEveryWrite)
        {
            await RedisConfig.UseSnapshotsOnlyAsync(Redis.Port);
        }
        var database = await Postgres.CreateDatabaseAsync("emulator");

        log("starting the Supabase emulator, the bench upstream and bare YARP");
        var emulator = ServiceProcess.StartAsync("emulator", "SupabaseEmulator", With(new()
        {
            ["ConnectionStrings:postgres"] = database,
        }), readyPath: "/auth/v1/health");
        var upstream = ServiceProcess.StartAsync("upstream", "bench/Gateway.Bench", With(new() { ["Bench:Role"] = "upstream" }));
        Emulator = await emulator;
        Upstream = await upstream;
        BareYarp = await ServiceProcess.StartAsync("bare-yarp", "bench/Gateway.Bench", With(new()
        {
            ["Bench:Role"] = "bare-yarp",
            ["Bench:UpstreamUrl"] = Trim(Upstream.Url),
        }));

        log("starting the SessionApi and two Proxies");
        using var identityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        SessionApi = await ServiceProcess.StartAsync("sessionapi", "SessionApi", With(new()
        {
            ["ConnectionStrings:redis"] = Redis.ConnectionString,
            ["SessionApi:CallerKey"] = SessionApiCallerKey,
            ["Jwt:Secret"] = LocalSupabaseKeys.JwtSecret,
            ["Jwt:LifetimeSeconds"] = JwtLifetimeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Identity:SigningKeyPem"] = identityKey.ExportPkcs8PrivateKeyPem(),
            ["Identity:KeyId"] = "bench-identity-1",
            ["Supabase:Url"] = Trim(Emulator.Url),
            ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
            ["Supabase:ServiceKey"] = LocalSupabaseKeys.ServiceRoleKey,
        }));
        var proxy = StartProxyAsync("proxy", Upstream.Url);
        var emulatorProxy = StartProxyAsync("proxy-emulator", Emulator.Url);
        Proxy = await proxy;
        EmulatorProxy = await emulatorProxy;
        await WaitForEventStreamAsync(Proxy);
        await WaitForEventStreamAsync(EmulatorProxy);
    }

    private Task<ServiceProcess> StartProxyAsync(string name, Uri supabase)
    {
        var port = FreePort.Next();
        return ServiceProcess.StartAsync(name, "Proxy", With(RateLimitSettings(new()
        {
            ["Supabase:Url"] = Trim(supabase),
            ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
            ["Gateway:SessionApiUrl"] = Trim(SessionApi.Url),
            ["Gateway:SessionApiKey"] = SessionApiCallerKey,
            // No SampleWeb: page routes point at a closed port; the benchmark only uses /supabase and /edge.
            ["Gateway:SampleWebUrl"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Gateway:PublicOrigins:0"] = $"http://127.0.0.1:{port}",
            // The scale scenario keeps 100,000 sessions cached (plus the other scenarios' few thousand).
            ["Gateway:SessionCacheSize"] = "150000",
            ["Logging:LogLevel:Default"] = ProxyLogLevel,
            // The one Information line the bench needs: the revocation stream is up, so the cache is in use.
            ["Logging:LogLevel:Proxy.Sessions.SessionEventsSubscriber"] = "Information",
        })), port);
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

    /// <summary>The Proxy serves from its session cache only once the revocation stream is live; wait for it.</summary>
    private static async Task WaitForEventStreamAsync(ServiceProcess proxy)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (proxy.RecentOutput.Contains("Session event stream connected", StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{proxy} did not connect to the SessionApi's event stream within 20 s:{Environment.NewLine}{proxy.RecentOutput}");
    }

    private static Dictionary<string, string?> With(Dictionary<string, string?> settings)
    {
        foreach (var (key, value) in Quiet)
        {
            settings.TryAdd(key, value);
        }
        return settings;
    }

    private static string Trim(Uri url) => url.ToString().TrimEnd('/');

    public async ValueTask DisposeAsync()
    {
        foreach (var service in new[] { Proxy, EmulatorProxy, SessionApi, BareYarp, Upstream, Emulator })
        {
            if (service is not null)
            {
                await service.DisposeAsync();
            }
        }
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}
