using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Proxy.Sessions;
using TestSupport;

namespace Proxy.Tests.Support;

/// <summary>
/// The real Proxy (its Program, on Kestrel) in front of <see cref="FakeSupabase"/>, <see cref="FakeSessionApi"/> and
/// <see cref="FakeSampleWeb"/>. Each test class gets its own (tests that break the SessionApi do not disturb others).
/// </summary>
public class ProxyHarness : IAsyncLifetime
{
    public const string AnonKey = "anon-project-key";
    public const string CookieName = "sb-session";

    private WebApplicationFactory<Program> _factory = null!;

    public FakeSupabase Supabase { get; private set; } = null!;
    public FakeSessionApi SessionApi { get; private set; } = null!;
    public FakeSampleWeb SampleWeb { get; private set; } = null!;
    public Uri ProxyUrl { get; private set; } = null!;
    public string PublicOrigin => ProxyUrl.GetLeftPart(UriPartial.Authority);
    public HttpClient Client { get; private set; } = null!;
    public IServiceProvider Services => _factory.Services;
    public SessionCache Cache => Services.GetRequiredService<SessionCache>();

    /// <summary>Settings a derived harness adds or overrides.</summary>
    protected virtual IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        Supabase = await FakeSupabase.StartAsync();
        SessionApi = await FakeSessionApi.StartAsync();
        SampleWeb = await FakeSampleWeb.StartAsync();
        var port = FreePort.Next();
        ProxyUrl = new Uri($"http://127.0.0.1:{port}");
        var settings = ServiceSettings.Proxy(Supabase.Url, AnonKey, SessionApi.Url, FakeSessionApi.CallerKey, SampleWeb.Url, $"http://127.0.0.1:{port}");
        settings[ServiceSettings.WithoutRateLimits.Key] = ServiceSettings.WithoutRateLimits.Value;
        foreach (var (key, value) in ExtraSettings)
        {
            settings[key] = value;
        }
        _factory = Create(settings, port);
        _factory.StartServer();
        Client = NewClient();
        await WaitForStreamAsync();
    }

    /// <summary>A Proxy factory with exactly these settings (startup validation tests use it directly).</summary>
    public static WebApplicationFactory<Program> Create(IReadOnlyDictionary<string, string?> settings, int port)
    {
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
            builder.ConfigureLogging(logging => logging.ClearProviders());
        });
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        return factory;
    }

    public HttpClient NewClient() =>
        new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = ProxyUrl, Timeout = TimeSpan.FromSeconds(15) };

    /// <summary>Waits until the Proxy's revocation stream is connected (before that it caches nothing, by design).</summary>
    public async Task WaitForStreamAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Cache.StreamLive)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The Proxy never connected to the SessionApi's event stream.");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>A same-origin request, as a page of the app would send it.</summary>
    public HttpRequestMessage Request(HttpMethod method, string path, string? cookie = null, object? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"{CookieName}={cookie}");
        }
        if (method != HttpMethod.Get && method != HttpMethod.Head)
        {
            request.Headers.Add("Origin", PublicOrigin);
        }
        if (json is not null)
        {
            request.Content = JsonContent.Create(json);
        }
        return request;
    }

    /// <summary>Signs in through the intercepted password grant; returns our cookie value and the body the browser got.</summary>
    public async Task<(string Cookie, JsonObject Body, HttpResponseMessage Response)> SignInAsync(string email = "ann@example.com", string? previousCookie = null)
    {
        using var request = Request(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=password", previousCookie, new { email, password = "right" });
        request.Headers.Add("X-Supabase-Api-Version", "2024-01-01");
        var response = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = SetCookieValue(response) ?? throw new InvalidOperationException("no session cookie was set");
        return (cookie, (await response.Content.ReadFromJsonAsync<JsonObject>())!, response);
    }

    /// <summary>The value our Set-Cookie header sets ("" when it clears the cookie), or null when there is none.</summary>
    public static string? SetCookieValue(HttpResponseMessage response) =>
        SetCookieHeader(response) is { } header ? header.Split(';')[0][(CookieName.Length + 1)..] : null;

    public static string? SetCookieHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.FirstOrDefault(v => v.StartsWith(CookieName + "=", StringComparison.Ordinal)) : null;

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        await _factory.DisposeAsync();
        await SampleWeb.DisposeAsync();
        await SessionApi.DisposeAsync();
        await Supabase.DisposeAsync();
    }
}
