using System.Security.Cryptography;
using TestSupport;

namespace EndToEnd.Tests.Infrastructure;

/// <summary>Knobs a test can turn when it needs a stack of its own.</summary>
public sealed record GatewayStackOptions
{
    /// <summary>Lifetime of the JWTs the SessionApi mints (seconds).</summary>
    public int JwtLifetimeSeconds { get; init; } = 300;

    /// <summary>Start SampleWeb too (browser tests need it; API tests do not).</summary>
    public bool WithSampleWeb { get; init; } = true;

    /// <summary>
    /// "whsec_…": the Proxy accepts the user webhook with it, and the database's auth.users trigger is pointed at
    /// that Proxy (private.gateway_webhook) so user changes reach live sessions.
    /// </summary>
    public string? UserWebhookSecret { get; init; }

    /// <summary>Use this Redis (e.g. a <see cref="RedisCluster"/>) instead of starting a redis-server; <see cref="GatewayStack.Redis"/> is then null.</summary>
    public string? RedisConnectionString { get; init; }

    /// <summary>Extra settings per service, e.g. ["Proxy"] = { ["Gateway:RateLimits:Enabled"] = "true" }.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>> Extra { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string?>>();
}

/// <summary>
/// The whole gateway on loopback as real processes: redis-server, PostgreSQL 15, the Supabase emulator,
/// the SessionApi, SampleWeb and the Proxy. Shared by a test collection (<see cref="GatewayCollection"/>);
/// tests that break things (stop Redis, restart services) start their own with <see cref="StartAsync"/>.
/// </summary>
public sealed class GatewayStack : IAsyncLifetime
{
    private readonly List<ServiceProcess> _extraProxies = [];
    private readonly List<ServiceProcess> _extraSessionApis = [];
    private Dictionary<string, string?> _proxySettings = [];
    private Dictionary<string, string?> _sessionApiSettings = [];

    public GatewayStack() : this(new GatewayStackOptions(), true)
    {
    }

    private GatewayStack(GatewayStackOptions options, bool _) => Options = options;

    public GatewayStackOptions Options { get; }

    public RedisServer Redis { get; private set; } = null!;
    public PostgresServer Postgres { get; private set; } = null!;
    public string DatabaseConnectionString { get; private set; } = "";
    public ServiceProcess Emulator { get; private set; } = null!;
    public ServiceProcess SessionApi { get; private set; } = null!;
    public ServiceProcess? SampleWeb { get; private set; }
    public ServiceProcess Proxy { get; private set; } = null!;

    public Uri ProxyUrl => Proxy.Url;
    public Uri EmulatorUrl => Emulator.Url;

    /// <summary>The origin browsers use; the only one the Proxy trusts for CSRF and websocket upgrades.</summary>
    public string PublicOrigin => ProxyUrl.GetLeftPart(UriPartial.Authority);

    public string SessionApiCallerKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    public static async Task<GatewayStack> StartAsync(GatewayStackOptions options)
    {
        var stack = new GatewayStack(options, true);
        await stack.InitializeAsync();
        return stack;
    }

    public async Task InitializeAsync()
    {
        var redis = Options.RedisConnectionString is null ? RedisServer.StartAsync() : Task.FromResult<RedisServer>(null!);
        var postgres = PostgresServer.StartAsync();
        Redis = await redis;
        Postgres = await postgres;
        var redisConnectionString = Options.RedisConnectionString ?? Redis.ConnectionString;
        DatabaseConnectionString = await Postgres.CreateDatabaseAsync("emulator");

        var proxyPort = FreePort.Next();
        var publicOrigin = $"http://127.0.0.1:{proxyPort}";

        Emulator = await ServiceProcess.StartAsync("emulator", "SupabaseEmulator", With("Emulator", new()
        {
            ["ConnectionStrings:postgres"] = DatabaseConnectionString,
            ["Emulator:SiteUrl"] = publicOrigin,
            ["Emulator:AdditionalRedirectUrls:0"] = publicOrigin + "/**",
        }), readyPath: "/auth/v1/health");

        using var identityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _sessionApiSettings = With("SessionApi", new()
        {
            ["ConnectionStrings:redis"] = redisConnectionString,
            ["SessionApi:CallerKey"] = SessionApiCallerKey,
            ["Jwt:Secret"] = LocalSupabaseKeys.JwtSecret,
            ["Jwt:LifetimeSeconds"] = Options.JwtLifetimeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Identity:SigningKeyPem"] = identityKey.ExportPkcs8PrivateKeyPem(),
            ["Identity:KeyId"] = "test-identity-1",
            ["Supabase:Url"] = EmulatorUrl.ToString().TrimEnd('/'),
            ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
            ["Supabase:ServiceKey"] = LocalSupabaseKeys.ServiceRoleKey,
        });
        SessionApi = await ServiceProcess.StartAsync("sessionapi", "SessionApi", _sessionApiSettings);

        if (Options.WithSampleWeb)
        {
            SampleWeb = await ServiceProcess.StartAsync("sampleweb", "SampleWeb", With("SampleWeb", new()
            {
                ["Gateway:SessionApiUrl"] = SessionApi.Url.ToString().TrimEnd('/'),
                ["Supabase:Url"] = EmulatorUrl.ToString().TrimEnd('/'),
                ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
            }));
        }

        _proxySettings = With("Proxy", new()
        {
            ["Supabase:Url"] = EmulatorUrl.ToString().TrimEnd('/'),
            ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
            ["Gateway:SessionApiUrl"] = SessionApi.Url.ToString().TrimEnd('/'),
            ["Gateway:SessionApiKey"] = SessionApiCallerKey,
            // Without SampleWeb, page routes point at a closed port (502), which API tests never touch.
            ["Gateway:SampleWebUrl"] = SampleWeb?.Url.ToString().TrimEnd('/') ?? $"http://127.0.0.1:{FreePort.Next()}",
            ["Gateway:PublicOrigins:0"] = publicOrigin,
            ["Gateway:UserWebhook:Secret"] = Options.UserWebhookSecret,
            // Off unless a test turns it on (Extra): the suites sign in far more often than a person would.
            ["Gateway:RateLimits:Enabled"] = "false",
        });
        Proxy = await ServiceProcess.StartAsync("proxy", "Proxy", _proxySettings, proxyPort);
        if (Options.UserWebhookSecret is { } secret)
        {
            await using var database = Npgsql.NpgsqlDataSource.Create(DatabaseConnectionString);
            await using var configure = database.CreateCommand("insert into private.gateway_webhook (url, secret) values ($1, $2)");
            configure.Parameters.Add(new() { Value = publicOrigin + "/edge/v1/hooks/user" });
            configure.Parameters.Add(new() { Value = secret });
            await configure.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// A second Proxy instance (its own origin is also trusted) sharing the same SessionApi, or talking to
    /// <paramref name="sessionApi"/> (from <see cref="StartExtraSessionApiAsync"/>).
    /// </summary>
    public async Task<ServiceProcess> StartExtraProxyAsync(ServiceProcess? sessionApi = null)
    {
        var port = FreePort.Next();
        var settings = new Dictionary<string, string?>(_proxySettings)
        {
            ["Gateway:PublicOrigins:1"] = $"http://127.0.0.1:{port}",
        };
        if (sessionApi is not null)
        {
            settings["Gateway:SessionApiUrl"] = sessionApi.Url.ToString().TrimEnd('/');
        }
        var proxy = await ServiceProcess.StartAsync($"proxy-{_extraProxies.Count + 2}", "Proxy", settings, port);
        _extraProxies.Add(proxy);
        return proxy;
    }

    /// <summary>Another SessionApi instance with the same settings (same Redis, keys and caller key).</summary>
    public async Task<ServiceProcess> StartExtraSessionApiAsync()
    {
        var sessionApi = await ServiceProcess.StartAsync($"sessionapi-{_extraSessionApis.Count + 2}", "SessionApi", _sessionApiSettings);
        _extraSessionApis.Add(sessionApi);
        return sessionApi;
    }

    /// <summary>Runs <c>node Tests/js/&lt;script&gt;</c> with this stack's URLs and keys in its environment.</summary>
    public Task<NodeResult> RunNodeAsync(string script, object? input = null, TimeSpan? timeout = null) =>
        NodeScript.RunAsync(script, input, new Dictionary<string, string>
        {
            ["PROXY_URL"] = ProxyUrl.ToString().TrimEnd('/'),
            ["EMULATOR_URL"] = EmulatorUrl.ToString().TrimEnd('/'),
            ["PUBLIC_ORIGIN"] = PublicOrigin,
            ["ANON_KEY"] = LocalSupabaseKeys.AnonKey,
            ["SERVICE_ROLE_KEY"] = LocalSupabaseKeys.ServiceRoleKey,
        }, timeout ?? TimeSpan.FromSeconds(90));

    public async Task DisposeAsync()
    {
        foreach (var process in _extraProxies.Concat(_extraSessionApis))
        {
            await process.DisposeAsync();
        }
        await DisposeQuietly(Proxy);
        await DisposeQuietly(SampleWeb);
        await DisposeQuietly(SessionApi);
        await DisposeQuietly(Emulator);
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }

    private Dictionary<string, string?> With(string service, Dictionary<string, string?> settings)
    {
        if (Options.Extra.TryGetValue(service, out var extra))
        {
            foreach (var (key, value) in extra)
            {
                settings[key] = value;
            }
        }
        return settings;
    }

    private static async Task DisposeQuietly(IAsyncDisposable? disposable)
    {
        if (disposable is not null)
        {
            await disposable.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayStack>
{
    public const string Name = "gateway";
}
