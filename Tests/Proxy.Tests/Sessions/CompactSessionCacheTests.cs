using System.Diagnostics.Metrics;
using System.Text.Json;
using Gateway.Contracts;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Proxy.Cookies;
using Proxy.Options;
using Proxy.Sessions;
using Proxy.Tests.Support;

namespace Proxy.Tests.Sessions;

/// <summary>
/// The session cache on its own, against the in-memory SessionApi, with time under the test's control: entries
/// expire by the clock, events evict them, the number of entries is bounded and an entry stays small.
/// </summary>
public sealed class CompactSessionCacheTests : IAsyncLifetime
{
    private FakeSessionApi _sessionApi = null!;
    private HttpClient _http = null!;
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);

    public async Task InitializeAsync()
    {
        _sessionApi = await FakeSessionApi.StartAsync();
        _http = new HttpClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _sessionApi.DisposeAsync();
    }

    [Fact]
    public async Task AWarmEntryIsServedUntilTheClockReachesTheRenewalMargin()
    {
        using var cache = NewCache();
        var (cookie, _) = _sessionApi.AddSession("user-1", "ann@example.com");

        var first = await cache.Cache.LookupAsync(cookie, CancellationToken.None);
        var warm = await cache.Cache.LookupAsync(cookie, CancellationToken.None);
        Assert.Equal(SessionState.Live, warm.State);
        Assert.Equal(1, _sessionApi.Resolves);
        Assert.Equal("Bearer " + first.Live!.AccessToken, warm.Live!.BearerHeader);
        Assert.Null(warm.Session); // an API request gets no details it does not need

        _clock.Advance(TimeSpan.FromMinutes(3.5)); // 5-minute tokens, 60 s margin: still fresh
        await cache.Cache.LookupAsync(cookie, CancellationToken.None);
        Assert.Equal(1, _sessionApi.Resolves);

        _clock.Advance(TimeSpan.FromMinutes(1)); // 30 s left: renewed at the SessionApi
        var renewed = await cache.Cache.LookupAsync(cookie, CancellationToken.None);
        Assert.Equal(2, _sessionApi.Resolves);
        Assert.NotEqual(first.Live.AccessToken, renewed.Live!.AccessToken);
    }

    [Fact]
    public async Task ARevokedSessionIsRefusedWithoutAskingAndAnUpdatedOneIsMintedAgain()
    {
        using var cache = NewCache();
        var (revokedCookie, revoked) = _sessionApi.AddSession("user-1", "ann@example.com");
        var (updatedCookie, updated) = _sessionApi.AddSession("user-2", "bob@example.com");
        await cache.Cache.LookupAsync(revokedCookie, CancellationToken.None);
        var before = await cache.Cache.LookupAsync(updatedCookie, CancellationToken.None);
        var revocation = cache.Cache.GetRevocationToken(revoked.Id);

        cache.Cache.Evict([revoked.Id], revoked: true);
        cache.Cache.Evict([updated.Id], revoked: false);

        Assert.True(revocation.IsCancellationRequested);
        var resolves = _sessionApi.Resolves;
        Assert.Equal(SessionState.Ended, (await cache.Cache.LookupAsync(revokedCookie, CancellationToken.None)).State);
        Assert.Equal(resolves, _sessionApi.Resolves); // the revoked cookie costs no call (its SessionApi entry is even still live here)
        var after = await cache.Cache.LookupAsync(updatedCookie, CancellationToken.None);
        Assert.Equal(SessionState.Live, after.State);
        Assert.Equal(resolves + 1, _sessionApi.Resolves);
        Assert.NotEqual(before.Live!.AccessToken, after.Live!.AccessToken);
    }

    [Fact]
    public async Task DetailsAreFetchedOnceWhenAPageNeedsThemAndKeptFromThenOn()
    {
        using var cache = NewCache();
        var (cookie, view) = _sessionApi.AddSession("user-1", "ann@example.com");
        await cache.Cache.LookupAsync(cookie, CancellationToken.None);
        var warm = await cache.Cache.LookupAsync(cookie, CancellationToken.None);
        Assert.Null(warm.Session);

        var withDetails = await cache.Cache.WithDetailsAsync(warm, CancellationToken.None);
        Assert.Equal(2, _sessionApi.Resolves);
        Assert.StartsWith("assertion-" + view.Id, withDetails.Session!.Token.IdentityAssertion);
        Assert.Equal("ann@example.com", withDetails.Session.Session.User.GetProperty("email").GetString());

        var page = await cache.Cache.WithDetailsAsync(await cache.Cache.LookupAsync(cookie, CancellationToken.None), CancellationToken.None);
        Assert.Equal(2, _sessionApi.Resolves);
        Assert.Equal(withDetails.Session.Token.IdentityAssertion, page.Session!.Token.IdentityAssertion);
    }

    [Fact]
    public async Task TheNumberOfEntriesStaysWithinTheConfiguredSize()
    {
        using var cache = NewCache(size: 100);
        var cookies = Enumerable.Range(0, 250).Select(i => _sessionApi.AddSession($"user-{i}", $"u{i}@example.com").Cookie).ToList();
        foreach (var cookie in cookies)
        {
            Assert.Equal(SessionState.Live, (await cache.Cache.LookupAsync(cookie, CancellationToken.None)).State);
            Assert.InRange(cache.Cache.Count, 1, 100);
        }
        // Whatever was dropped to stay in bounds is simply resolved again.
        Assert.Equal(SessionState.Live, (await cache.Cache.LookupAsync(cookies[0], CancellationToken.None)).State);
    }

    [Fact]
    public async Task MalformedCookiesAreEndedWithoutACall()
    {
        using var cache = NewCache();
        foreach (var cookie in new[] { "", "has space", "semi;colon", new string('a', Gateway.Contracts.SessionCookieFormat.MaxLength + 1), "é" })
        {
            Assert.Equal(SessionState.Ended, (await cache.Cache.LookupAsync(cookie, CancellationToken.None)).State);
        }
        Assert.Equal(0, _sessionApi.Resolves);
    }

    private TestCache NewCache(int size = 100_000) => new(_sessionApi, _http, _clock, size);

    private sealed class TestCache : IDisposable
    {
        private readonly SessionTelemetry _telemetry;
        private readonly IMeterFactory _meters = new TestMeterFactory();

        public TestCache(FakeSessionApi sessionApi, HttpClient http, TimeProvider clock, int size)
        {
            var options = Microsoft.Extensions.Options.Options.Create(new GatewayOptions
            {
                SessionApiUrl = sessionApi.Url,
                SessionApiKey = FakeSessionApi.CallerKey,
                SessionCacheSize = size,
            });
            _telemetry = new SessionTelemetry(_meters);
            Cache = new SessionCache(new SessionApiClient(http, options), options, clock, _telemetry,
                NullLogger<SessionCache>.Instance) { StreamLive = true }; // as if the event stream were connected
        }

        public SessionCache Cache { get; }

        public void Dispose()
        {
            _telemetry.Dispose();
            _meters.Dispose();
        }
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}

/// <summary>A clock that moves only when told to.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

[CollectionDefinition(nameof(HeapMeasurement), DisableParallelization = true)]
public sealed class HeapMeasurement;

/// <summary>Issue 7's budget: at most 2 KB of Proxy memory per idle cached session. Runs alone so the heap is quiet.</summary>
[Collection(nameof(HeapMeasurement))]
public sealed class SessionCacheMemoryTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void ACachedApiSessionCostsAtMostTwoKilobytes()
    {
        const int sessions = 2_000;
        var options = Microsoft.Extensions.Options.Options.Create(new GatewayOptions { SessionApiKey = FakeSessionApi.CallerKey });
        using var meters = new ServiceMeterFactory();
        using var telemetry = new SessionTelemetry(meters);
        using var http = new HttpClient();
        var cache = new SessionCache(new SessionApiClient(http, options), options, TimeProvider.System, telemetry,
            NullLogger<SessionCache>.Instance) { StreamLive = true };
        // Sized like the real thing: a ~640-character Supabase JWT, a ~1.3 K-character identity assertion, a GoTrue user.
        var user = JsonSerializer.SerializeToElement(new { id = Guid.NewGuid(), email = "ann@example.com", role = "authenticated",
            app_metadata = new { provider = "email", providers = new[] { "email" } }, user_metadata = new { name = "Ann" } });
        var amr = JsonSerializer.SerializeToElement(new[] { new { method = "password", timestamp = 1_700_000_000 } });

        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < sessions; i++)
        {
            var now = DateTimeOffset.UtcNow;
            var view = new SessionView(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), now, now, now.AddDays(7),
                "aal1", amr.Clone(), "127.0.0.1", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", user.Clone());
            var token = new MintedToken(RandomText(640), now.AddMinutes(5), RandomText(1_320));
            cache.Store(RandomText(86), new ResolvedSession(view, token));
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);

        Assert.Equal(sessions, cache.Count);
        var perSession = (after - before) / sessions;
        output.WriteLine($"{perSession} bytes per cached session");
        Assert.InRange(perSession, 1_300, 2_048); // at least the bearer value itself, at most the budget
        GC.KeepAlive(cache);
    }

    private static string RandomText(int length) =>
        Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(length))[..length].Replace('+', '-').Replace('/', '_');

    private sealed class ServiceMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
