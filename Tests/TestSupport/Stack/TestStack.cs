using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Xunit;

namespace TestSupport;

/// <summary>
/// A running gateway topology declared with <see cref="TestStackBuilder"/>: redis-server (or a supplied Redis),
/// PostgreSQL 15 with the Supabase emulator, the SessionApis, SampleWeb and the Proxies, each a real process on
/// loopback that a test may stop and restart. A test collection shares one through a subclass that declares its
/// topology (xunit creates fixtures with a parameterless constructor); a test that breaks things starts its own with
/// <see cref="TestStackBuilder.StartAsync"/>.
/// </summary>
public class TestStack : IAsyncLifetime
{
    /// <summary>The <c>kid</c> of the SessionApi's identity key (forgery tests reuse it with a key of their own).</summary>
    public const string IdentityKeyId = "test-identity-1";

    private readonly TestStackBuilder _declared;
    private readonly Action<string> _log;
    private readonly List<ServiceProcess> _sessionApis = [];
    private readonly List<ServiceProcess> _proxies = [];
    private RedisServer? _redis;

    protected TestStack(TestStackBuilder declared) : this(declared, null)
    {
    }

    internal TestStack(TestStackBuilder declared, Action<string>? log)
    {
        _declared = declared;
        _log = log ?? (_ => { });
    }

    /// <summary>The redis-server this stack started (not there when the builder was given a Redis).</summary>
    public RedisServer Redis => _redis ?? throw new InvalidOperationException("This stack runs on a Redis it was given (TestStackBuilder.WithRedis).");

    public string RedisConnectionString { get; private set; } = "";
    public PostgresServer Postgres { get; private set; } = null!;
    public string DatabaseConnectionString { get; private set; } = "";
    public ServiceProcess Emulator { get; private set; } = null!;
    public IReadOnlyList<ServiceProcess> SessionApis => _sessionApis;
    public ServiceProcess SessionApi => _sessionApis[0];
    public ServiceProcess? SampleWeb { get; private set; }
    public IReadOnlyList<ServiceProcess> Proxies => _proxies;
    public ServiceProcess Proxy => _proxies[0];

    public Uri ProxyUrl => Proxy.Url;
    public Uri EmulatorUrl => Emulator.Url;

    /// <summary>The origin browsers use: the first Proxy's, trusted by every Proxy for CSRF and websocket upgrades.</summary>
    public string PublicOrigin { get; private set; } = "";

    /// <summary>The key the Proxies present to the SessionApis.</summary>
    public string CallerKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Talks to the emulator directly (its inspection endpoints, or Supabase as an attacker holding a token would).</summary>
    public HttpClient EmulatorHttp { get; private set; } = null!;

    /// <summary>What Node scripts under Tests/js read: the gateway's and the emulator's URLs and the local keys.</summary>
    public IReadOnlyDictionary<string, string> NodeEnvironment => new Dictionary<string, string>
    {
        ["PROXY_URL"] = ServiceSettings.Trim(ProxyUrl),
        ["EMULATOR_URL"] = ServiceSettings.Trim(EmulatorUrl),
        ["PUBLIC_ORIGIN"] = PublicOrigin,
        ["ANON_KEY"] = LocalSupabaseKeys.AnonKey,
        ["SERVICE_ROLE_KEY"] = LocalSupabaseKeys.ServiceRoleKey,
    };

    public static string OriginOf(ServiceProcess process) => process.Url.GetLeftPart(UriPartial.Authority);

    /// <summary>Requests the emulator received under <paramref name="path"/> (the gateway's traffic as Supabase saw it).</summary>
    public async Task<JsonArray> EmulatorRequestsAsync(string path) =>
        (await EmulatorHttp.GetFromJsonAsync<JsonArray>("/__emulator/requests?path=" + Uri.EscapeDataString(path)))!;

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        var proxies = _declared.Proxies;
        var proxyPorts = proxies.Select(_ => FreePort.Next()).ToArray();
        PublicOrigin = $"http://127.0.0.1:{proxyPorts[0]}";

        _log(_declared.ExternalRedis is null ? "starting redis-server and PostgreSQL" : "starting PostgreSQL");
        var postgres = PostgresServer.StartAsync();
        if (_declared.ExternalRedis is null)
        {
            _redis = await RedisServer.StartAsync();
        }
        Postgres = await postgres;
        RedisConnectionString = _declared.ExternalRedis ?? _redis!.ConnectionString;
        DatabaseConnectionString = await Postgres.CreateDatabaseAsync("emulator");

        _log("starting the Supabase emulator");
        Emulator = await ServiceProcess.StartAsync("emulator", "SupabaseEmulator",
            Declared(StackService.Emulator, ServiceSettings.Emulator(DatabaseConnectionString, PublicOrigin)), readyPath: "/auth/v1/health");
        EmulatorHttp = new HttpClient { BaseAddress = Emulator.Url, Timeout = TimeSpan.FromSeconds(30) };

        _log($"starting {_declared.SessionApiCount} SessionApi(s)");
        using var identityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var identityPem = identityKey.ExportPkcs8PrivateKeyPem();
        for (var i = 0; i < _declared.SessionApiCount; i++)
        {
            _sessionApis.Add(await ServiceProcess.StartAsync(Numbered("sessionapi", i, _declared.SessionApiCount), "SessionApi",
                Declared(StackService.SessionApi, ServiceSettings.SessionApi(RedisConnectionString, CallerKey, EmulatorUrl, identityPem, IdentityKeyId, _declared.JwtLifetimeSeconds))));
        }

        if (_declared.SampleWeb)
        {
            _log("starting SampleWeb");
            SampleWeb = await ServiceProcess.StartAsync("sampleweb", "SampleWeb",
                Declared(StackService.SampleWeb, ServiceSettings.SampleWeb(SessionApi.Url, EmulatorUrl)));
        }

        _log($"starting {proxies.Count} Proxy instance(s)");
        // Without SampleWeb or a page server, page routes point at a closed port (502), which API tests never touch.
        var pages = SampleWeb is { } web ? ServiceSettings.Trim(web.Url) : _declared.PagesUrl ?? ServiceSettings.ClosedPortUrl();
        for (var i = 0; i < proxies.Count; i++)
        {
            var origin = $"http://127.0.0.1:{proxyPorts[i]}";
            var settings = ServiceSettings.Proxy(ServiceSettings.Trim(proxies[i].Supabase ?? EmulatorUrl), LocalSupabaseKeys.AnonKey,
                ServiceSettings.Trim(_sessionApis[i % _sessionApis.Count].Url), CallerKey, pages, i == 0 ? [origin] : [PublicOrigin, origin]);
            if (_declared.UserWebhookSecret is { } secret)
            {
                settings["Gateway:UserWebhook:Secret"] = secret;
            }
            if (!_declared.RateLimits)
            {
                settings[ServiceSettings.WithoutRateLimits.Key] = ServiceSettings.WithoutRateLimits.Value;
            }
            _proxies.Add(await ServiceProcess.StartAsync(proxies[i].Name ?? Numbered("proxy", i, proxies.Count), "Proxy",
                Declared(StackService.Proxy, settings), proxyPorts[i]));
        }

        if (_declared.UserWebhookSecret is { } webhookSecret)
        {
            await PointUserWebhookAtProxyAsync(webhookSecret);
        }
        if (_declared.WaitForEventStreams)
        {
            foreach (var proxy in _proxies)
            {
                await WaitForEventStreamAsync(proxy);
            }
        }
    }

    /// <summary>The database's auth.users trigger posts to the first Proxy's user webhook (private.gateway_webhook).</summary>
    private async Task PointUserWebhookAtProxyAsync(string secret)
    {
        await using var database = Npgsql.NpgsqlDataSource.Create(DatabaseConnectionString);
        await using var configure = database.CreateCommand("insert into private.gateway_webhook (url, secret) values ($1, $2)");
        configure.Parameters.Add(new() { Value = PublicOrigin + "/edge/v1/hooks/user" });
        configure.Parameters.Add(new() { Value = secret });
        await configure.ExecuteNonQueryAsync();
    }

    /// <summary>The Proxy serves from its session cache only once the revocation stream is live.</summary>
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

    private Dictionary<string, string?> Declared(StackService service, Dictionary<string, string?> settings) =>
        _declared.For(service, settings, PublicOrigin);

    private static string Numbered(string name, int index, int count) => count == 1 ? name : $"{name}-{index + 1}";

    public async Task DisposeAsync()
    {
        EmulatorHttp?.Dispose();
        foreach (var process in _proxies.AsEnumerable().Reverse().Append(SampleWeb).Concat(_sessionApis).Append(Emulator).OfType<ServiceProcess>())
        {
            await process.DisposeAsync();
        }
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}
