using System.Globalization;

namespace TestSupport;

/// <summary>The kinds of service a <see cref="TestStack"/> runs, to give one kind extra settings.</summary>
public enum StackService
{
    Emulator,
    SessionApi,
    SampleWeb,
    Proxy,
}

/// <summary>
/// Declares a gateway topology — PostgreSQL + the Supabase emulator, Redis (a redis-server of its own or one supplied),
/// N SessionApis, N Proxies, optionally SampleWeb — and starts it as real processes on loopback
/// (<see cref="StartAsync"/>). The end-to-end suites and the bench declare only how their topology differs from the
/// default: one SessionApi, one Proxy, no SampleWeb, minted JWTs living 300 s, the Proxy's sign-in limits off.
/// </summary>
public sealed class TestStackBuilder
{
    private readonly Dictionary<StackService, Dictionary<string, string?>> _extra = [];
    private readonly Dictionary<string, string?> _everywhere = [];
    private readonly List<ProxySpec> _proxies = [];

    /// <summary>A Proxy to start: its process name and, when not the emulator, the Supabase it fronts.</summary>
    internal sealed record ProxySpec(string? Name, Uri? Supabase);

    internal int SessionApiCount { get; private set; } = 1;
    internal bool SampleWeb { get; private set; }
    internal int JwtLifetimeSeconds { get; private set; } = 300;
    internal string? ExternalRedis { get; private set; }
    internal string? UserWebhookSecret { get; private set; }
    internal string? PagesUrl { get; private set; }
    internal bool RateLimits { get; private set; }
    internal bool WaitForEventStreams { get; private set; }
    internal IReadOnlyList<ProxySpec> Proxies => _proxies.Count > 0 ? _proxies : [new ProxySpec(null, null)];

    /// <summary>Start SampleWeb too; the Proxy sends page routes to it (browser tests need it, API tests do not).</summary>
    public TestStackBuilder WithSampleWeb()
    {
        SampleWeb = true;
        return this;
    }

    /// <summary>Where the Proxy sends page routes when SampleWeb is not started (a test serving its own app page).</summary>
    public TestStackBuilder WithPages(string url)
    {
        PagesUrl = url;
        return this;
    }

    /// <summary>
    /// <paramref name="count"/> SessionApi instances on the same Redis; Proxy <c>i</c> asks SessionApi <c>i mod count</c>.
    /// </summary>
    public TestStackBuilder WithSessionApis(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        SessionApiCount = count;
        return this;
    }

    /// <summary>
    /// <paramref name="count"/> Proxy instances in front of the emulator. Each trusts its own origin and the first
    /// one's (instances of one deployment behind one public name).
    /// </summary>
    public TestStackBuilder WithProxies(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        for (var i = 0; i < count; i++)
        {
            _proxies.Add(new ProxySpec(null, null));
        }
        return this;
    }

    /// <summary>One more Proxy, named <paramref name="name"/>, in front of <paramref name="supabase"/> (the emulator when null).</summary>
    public TestStackBuilder WithProxy(string name, Uri? supabase = null)
    {
        _proxies.Add(new ProxySpec(name, supabase));
        return this;
    }

    /// <summary>Use this Redis (StackExchange.Redis connection string) instead of starting a redis-server.</summary>
    public TestStackBuilder WithRedis(string connectionString)
    {
        ExternalRedis = connectionString;
        return this;
    }

    /// <summary>Lifetime of the JWTs the SessionApi mints.</summary>
    public TestStackBuilder WithJwtLifetime(int seconds)
    {
        JwtLifetimeSeconds = seconds;
        return this;
    }

    /// <summary>Keep the Proxy's sign-in rate limits at their production defaults (extra settings may tune them).</summary>
    public TestStackBuilder WithRateLimits()
    {
        RateLimits = true;
        return this;
    }

    /// <summary>
    /// "whsec_…": the Proxy accepts the user webhook with it, and the database's auth.users trigger is pointed at the
    /// first Proxy (private.gateway_webhook), so user changes reach live sessions.
    /// </summary>
    public TestStackBuilder WithUserWebhook(string secret)
    {
        UserWebhookSecret = secret;
        return this;
    }

    /// <summary>
    /// GoTrue's external URL is the first Proxy's <c>/supabase/auth/v1</c> (what <c>[auth] external_url</c> does in the
    /// CLI), so OAuth callbacks and email links come back through the gateway.
    /// </summary>
    public TestStackBuilder WithGoTrueBehindTheProxy() =>
        Configure(StackService.Emulator, new Dictionary<string, string?> { ["Emulator:ExternalUrl"] = "{origin}/supabase/auth/v1" });

    /// <summary>Sign-ups need their confirmation link (GoTrue's autoconfirm off, as in every hosted project).</summary>
    public TestStackBuilder WithEmailConfirmations() =>
        Configure(StackService.Emulator, new Dictionary<string, string?> { ["Emulator:Autoconfirm"] = "false" });

    /// <summary>Lifetime of the access tokens GoTrue (the emulator) issues.</summary>
    public TestStackBuilder WithGoTrueTokenLifetime(int seconds) =>
        Configure(StackService.Emulator, new Dictionary<string, string?> { ["Emulator:AccessTokenLifetimeSeconds"] = seconds.ToString(CultureInfo.InvariantCulture) });

    /// <summary>
    /// Wait after start until every Proxy's revocation stream is connected (before that it serves nothing from its
    /// session cache, which a benchmark must not measure).
    /// </summary>
    public TestStackBuilder WaitingForSessionEventStreams()
    {
        WaitForEventStreams = true;
        return Configure(StackService.Proxy, new Dictionary<string, string?> { ["Logging:LogLevel:Proxy.Sessions.SessionEventsSubscriber"] = "Information" });
    }

    /// <summary>Extra settings for every service of one kind (later calls win; <c>{origin}</c> stands for the first Proxy's origin).</summary>
    public TestStackBuilder Configure(StackService service, IReadOnlyDictionary<string, string?> settings)
    {
        if (!_extra.TryGetValue(service, out var extra))
        {
            _extra[service] = extra = [];
        }
        foreach (var (key, value) in settings)
        {
            extra[key] = value;
        }
        return this;
    }

    /// <summary>Settings for every service the stack starts, applied before the per-kind ones.</summary>
    public TestStackBuilder ConfigureAll(IReadOnlyDictionary<string, string?> settings)
    {
        foreach (var (key, value) in settings)
        {
            _everywhere[key] = value;
        }
        return this;
    }

    /// <summary>Starts the topology; on failure stops whatever had started and rethrows.</summary>
    public async Task<TestStack> StartAsync(Action<string>? log = null)
    {
        var stack = new TestStack(this, log);
        await stack.InitializeAsync();
        return stack;
    }

    /// <summary><paramref name="settings"/> plus what this topology adds for <paramref name="service"/>.</summary>
    internal Dictionary<string, string?> For(StackService service, Dictionary<string, string?> settings, string publicOrigin)
    {
        foreach (var (key, value) in _everywhere)
        {
            settings[key] = value;
        }
        if (_extra.TryGetValue(service, out var extra))
        {
            foreach (var (key, value) in extra)
            {
                settings[key] = value?.Replace("{origin}", publicOrigin, StringComparison.Ordinal);
            }
        }
        return settings;
    }
}
