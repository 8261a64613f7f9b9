using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using EndToEnd.Tests.Infrastructure;
using TestSupport;

namespace EndToEnd.Tests.AuthFlows;

/// <summary>
/// redis-server, PostgreSQL, the emulator and <see cref="Instances"/> SessionApi + Proxy pairs sharing that Redis.
/// Unlike <see cref="GatewayStack"/>, GoTrue's external URL is the first Proxy's public URL
/// (<c>&lt;origin&gt;/supabase/auth/v1</c>, what <c>[auth] external_url</c> does in the CLI), so the OAuth callback
/// and email links come back through the gateway as they would in production.
/// </summary>
public sealed class AuthFlowStack : IAsyncLifetime
{
    private readonly List<ServiceProcess> _sessionApis = [];
    private readonly List<ServiceProcess> _proxies = [];

    public AuthFlowStack() : this(instances: 1, goTrueTokenLifetimeSeconds: 3600, hostedGoTrue: false)
    {
    }

    private AuthFlowStack(int instances, int goTrueTokenLifetimeSeconds, bool hostedGoTrue)
    {
        Instances = instances;
        GoTrueTokenLifetimeSeconds = goTrueTokenLifetimeSeconds;
        HostedGoTrue = hostedGoTrue;
    }

    /// <summary>
    /// GoTrue configured like every hosted project: its external URL is Supabase's own (the emulator's), so the OAuth
    /// callback and email links never pass through the gateway, and sign-ups need their confirmation link.
    /// </summary>
    public bool HostedGoTrue { get; }

    public int Instances { get; }
    public int GoTrueTokenLifetimeSeconds { get; }
    public RedisServer Redis { get; private set; } = null!;
    public PostgresServer Postgres { get; private set; } = null!;
    public ServiceProcess Emulator { get; private set; } = null!;
    public IReadOnlyList<ServiceProcess> SessionApis => _sessionApis;
    public IReadOnlyList<ServiceProcess> Proxies => _proxies;
    public Uri ProxyUrl => _proxies[0].Url;
    public string PublicOrigin => ProxyUrl.GetLeftPart(UriPartial.Authority);
    public string CallerKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Talks to the emulator directly (its inspection endpoints, or GoTrue as an attacker holding a token would).</summary>
    public HttpClient EmulatorHttp { get; private set; } = null!;

    /// <summary>Where the Proxy sends page requests (none of these flows needs SampleWeb; a test may serve its own app page).</summary>
    public string? PagesUrl { get; private init; }

    public static async Task<AuthFlowStack> StartAsync(int instances, int goTrueTokenLifetimeSeconds, bool hostedGoTrue = false, string? pagesUrl = null)
    {
        var stack = new AuthFlowStack(instances, goTrueTokenLifetimeSeconds, hostedGoTrue) { PagesUrl = pagesUrl };
        await stack.InitializeAsync();
        return stack;
    }

    public async Task InitializeAsync()
    {
        var redis = RedisServer.StartAsync();
        var postgres = PostgresServer.StartAsync();
        Redis = await redis;
        Postgres = await postgres;
        var database = await Postgres.CreateDatabaseAsync("authflows");
        var proxyPorts = Enumerable.Range(0, Instances).Select(_ => FreePort.Next()).ToArray();
        var origin = $"http://127.0.0.1:{proxyPorts[0]}";

        var emulatorSettings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgres"] = database,
            ["Emulator:SiteUrl"] = origin,
            ["Emulator:AdditionalRedirectUrls:0"] = origin + "/**",
            ["Emulator:Autoconfirm"] = HostedGoTrue ? "false" : "true",
            ["Emulator:AccessTokenLifetimeSeconds"] = GoTrueTokenLifetimeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (!HostedGoTrue)
        {
            emulatorSettings["Emulator:ExternalUrl"] = origin + "/supabase/auth/v1";
        }
        Emulator = await ServiceProcess.StartAsync("emulator", "SupabaseEmulator", emulatorSettings, readyPath: "/auth/v1/health");
        EmulatorHttp = new HttpClient { BaseAddress = Emulator.Url, Timeout = TimeSpan.FromSeconds(30) };

        using var identityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var identityPem = identityKey.ExportPkcs8PrivateKeyPem();
        for (var i = 0; i < Instances; i++)
        {
            var sessionApi = await ServiceProcess.StartAsync($"sessionapi-{i + 1}", "SessionApi", new Dictionary<string, string?>
            {
                ["ConnectionStrings:redis"] = Redis.ConnectionString,
                ["SessionApi:CallerKey"] = CallerKey,
                ["Jwt:Secret"] = LocalSupabaseKeys.JwtSecret,
                ["Identity:SigningKeyPem"] = identityPem,
                ["Identity:KeyId"] = "authflows-identity-1",
                ["Supabase:Url"] = Emulator.Url.ToString().TrimEnd('/'),
                ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
                ["Supabase:ServiceKey"] = LocalSupabaseKeys.ServiceRoleKey,
            });
            _sessionApis.Add(sessionApi);
            _proxies.Add(await ServiceProcess.StartAsync($"proxy-{i + 1}", "Proxy", new Dictionary<string, string?>
            {
                ["Supabase:Url"] = Emulator.Url.ToString().TrimEnd('/'),
                ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
                ["Gateway:SessionApiUrl"] = sessionApi.Url.ToString().TrimEnd('/'),
                ["Gateway:SessionApiKey"] = CallerKey,
                ["Gateway:SampleWebUrl"] = PagesUrl ?? $"http://127.0.0.1:{FreePort.Next()}", // pages are not part of these flows
                ["Gateway:PublicOrigins:0"] = $"http://127.0.0.1:{proxyPorts[i]}",
            }, proxyPorts[i]));
        }
    }

    public Task<NodeResult> RunNodeAsync(object input) =>
        NodeScript.RunAsync("auth-flows.mjs", input, new Dictionary<string, string>
        {
            ["PROXY_URL"] = ProxyUrl.ToString().TrimEnd('/'),
            ["EMULATOR_URL"] = Emulator.Url.ToString().TrimEnd('/'),
            ["PUBLIC_ORIGIN"] = PublicOrigin,
            ["ANON_KEY"] = LocalSupabaseKeys.AnonKey,
            ["SERVICE_ROLE_KEY"] = LocalSupabaseKeys.ServiceRoleKey,
        }, TimeSpan.FromSeconds(90));

    /// <summary>Requests the emulator received under <paramref name="path"/> (the gateway's traffic as Supabase saw it).</summary>
    public async Task<JsonArray> EmulatorRequestsAsync(string path) =>
        (await EmulatorHttp.GetFromJsonAsync<JsonArray>("/__emulator/requests?path=" + Uri.EscapeDataString(path)))!;

    public async Task DisposeAsync()
    {
        EmulatorHttp?.Dispose();
        foreach (var process in _proxies.Concat(_sessionApis).Append(Emulator).OfType<ServiceProcess>())
        {
            await process.DisposeAsync();
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

[CollectionDefinition(Name)]
public sealed class AuthFlowCollection : ICollectionFixture<AuthFlowStack>
{
    public const string Name = "auth-flows";
}
