using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace AppHost.Tests;

/// <summary>
/// The whole AppHost as a developer runs it (Redis, `supabase start`, SessionApi, SampleWeb, Proxy), driven through the
/// Proxy like a browser: a cookie jar, the Proxy's own Origin, the project's anon key as apikey.
/// </summary>
public sealed class GatewayAppHostTests
{
    // The first `supabase start` pulls the Supabase images; later starts take seconds.
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan JourneyTimeout = TimeSpan.FromMinutes(2);
    private const string SessionCookieName = "sb-session"; // plain http locally, so no __Host- prefix

    [AppHostFact]
    public async Task SignUpSignInUseSupabaseAndSignOutThroughTheProxy()
    {
        using var startup = new CancellationTokenSource(StartupTimeout);
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(startup.Token);
        await using var app = await appHost.BuildAsync(startup.Token);
        await app.StartAsync(startup.Token);
        await WaitUntilReadyAsync(app, startup.Token);

        using var journey = new CancellationTokenSource(JourneyTimeout);
        var ct = journey.Token;
        var anonKey = await ParameterValueAsync(appHost, "supabase-anon-key", ct);
        var proxyUrl = app.GetEndpoint("proxy", "http");
        var cookies = new CookieContainer();
        using var browser = BrowserLikeClient(proxyUrl, anonKey, cookies);

        // Pages come from SampleWeb through the Proxy (service discovery: http://sampleweb).
        using (var home = await browser.GetAsync("/", ct))
        {
            await AssertStatusAsync(HttpStatusCode.OK, home, ct);
            Assert.Equal("text/html", home.Content.Headers.ContentType?.MediaType);
        }

        var email = $"apphost-{Guid.NewGuid():N}@example.com";
        var credentials = new { email, password = $"pw-{Guid.NewGuid():N}" };
        using (var signUp = await browser.PostAsJsonAsync("/supabase/auth/v1/signup", credentials, ct))
        {
            await AssertStatusAsync(HttpStatusCode.OK, signUp, ct); // email confirmation is off in supabase/config.toml
        }
        var cookieAfterSignUp = SessionCookie(cookies, proxyUrl);

        string placeholderToken;
        using (var signIn = await browser.PostAsJsonAsync("/supabase/auth/v1/token?grant_type=password", credentials, ct))
        {
            await AssertStatusAsync(HttpStatusCode.OK, signIn, ct);
            var body = await signIn.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.Equal(email, body.GetProperty("user").GetProperty("email").GetString());
            placeholderToken = body.GetProperty("access_token").GetString()!;
        }
        Assert.NotEqual(cookieAfterSignUp, SessionCookie(cookies, proxyUrl)); // a new session id on every sign-in

        // What the browser holds is not a token Supabase accepts.
        await AssertSupabaseRefusesAsync(placeholderToken, anonKey, ct);

        var session = await browser.GetFromJsonAsync<JsonElement>("/edge/v1/session", ct);
        var user = session.GetProperty("user");
        Assert.Equal(email, user.GetProperty("email").GetString());
        var userId = user.GetProperty("id").GetString();

        // PostgREST sees the session's minted JWT: RLS fills user_id with auth.uid() and lets the author delete the row.
        var title = $"written through the gateway {Guid.NewGuid():N}";
        using var insert = new HttpRequestMessage(HttpMethod.Post, "/supabase/rest/v1/posts")
        {
            Content = JsonContent.Create(new { title, body = "hello from the AppHost test" }),
        };
        insert.Headers.Add("Prefer", "return=representation");
        long postId;
        using (var inserted = await browser.SendAsync(insert, ct))
        {
            await AssertStatusAsync(HttpStatusCode.Created, inserted, ct);
            var row = Assert.Single((await inserted.Content.ReadFromJsonAsync<JsonElement>(ct)).EnumerateArray());
            Assert.Equal(userId, row.GetProperty("user_id").GetString());
            postId = row.GetProperty("id").GetInt64();
        }
        var read = await browser.GetFromJsonAsync<JsonElement>($"/supabase/rest/v1/posts?id=eq.{postId}&select=title", ct);
        Assert.Equal(title, Assert.Single(read.EnumerateArray()).GetProperty("title").GetString());
        using (var deleted = await browser.DeleteAsync($"/supabase/rest/v1/posts?id=eq.{postId}", ct))
        {
            await AssertStatusAsync(HttpStatusCode.NoContent, deleted, ct);
        }
        var afterDelete = await browser.GetFromJsonAsync<JsonElement>($"/supabase/rest/v1/posts?id=eq.{postId}&select=id", ct);
        Assert.Equal(0, afterDelete.GetArrayLength());

        // Sign out: the cookie is cleared, and a copy kept from before is refused (never served anonymously).
        var cookieHeaderBeforeSignOut = cookies.GetCookieHeader(proxyUrl);
        using (var signOut = await browser.PostAsync("/supabase/auth/v1/logout", content: null, ct))
        {
            await AssertStatusAsync(HttpStatusCode.NoContent, signOut, ct);
        }
        using (var afterSignOut = await browser.GetAsync("/edge/v1/session", ct))
        {
            await AssertStatusAsync(HttpStatusCode.Unauthorized, afterSignOut, ct);
        }
        using var replay = BrowserLikeClient(proxyUrl, anonKey, cookies: null);
        replay.DefaultRequestHeaders.Add("Cookie", cookieHeaderBeforeSignOut);
        foreach (var path in new[] { "/edge/v1/session", "/supabase/rest/v1/posts?select=id&limit=1" })
        {
            using var refused = await replay.GetAsync(path, ct);
            await AssertStatusAsync(HttpStatusCode.Unauthorized, refused, ct);
            var error = await refused.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.Equal("session_expired", error.GetProperty("code").GetString());
        }
    }

    /// <summary>`supabase start` must have finished with exit code 0, then every service must report healthy.</summary>
    private static async Task WaitUntilReadyAsync(DistributedApplication app, CancellationToken ct)
    {
        var supabase = await app.ResourceNotifications.WaitForResourceAsync("supabase",
            e => e.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), ct);
        Assert.True(supabase.Snapshot.ExitCode == 0,
            $"`supabase start` ended as '{supabase.Snapshot.State?.Text}' with exit code {supabase.Snapshot.ExitCode?.ToString() ?? "none"}; " +
            "is Docker running? Try `supabase start` in the repo root to see why.");
        foreach (var resource in new[] { "redis", "sessionapi", "sampleweb", "proxy" })
        {
            // StopOnResourceUnavailable: a service that fails to start fails the test now instead of at the timeout.
            await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, WaitBehavior.StopOnResourceUnavailable, ct);
        }
    }

    private static async Task<string> ParameterValueAsync(IDistributedApplicationTestingBuilder appHost, string name, CancellationToken ct)
    {
        var parameter = appHost.Resources.OfType<ParameterResource>().Single(p => p.Name == name);
        return await parameter.GetValueAsync(ct) ?? throw new InvalidOperationException($"Parameter '{name}' has no value.");
    }

    /// <summary>
    /// Our own client (app.CreateHttpClient gives one without a cookie jar): unsafe requests carry the Proxy's origin,
    /// as a browser on that page would, and supabase-js's apikey header.
    /// </summary>
    private static HttpClient BrowserLikeClient(Uri proxyUrl, string anonKey, CookieContainer? cookies)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = cookies is not null };
        if (cookies is not null)
        {
            handler.CookieContainer = cookies;
        }
        var client = new HttpClient(handler) { BaseAddress = proxyUrl, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("Origin", proxyUrl.GetLeftPart(UriPartial.Authority));
        client.DefaultRequestHeaders.Add("apikey", anonKey);
        client.DefaultRequestHeaders.Add("X-Supabase-Api-Version", "2024-01-01");
        return client;
    }

    private static string SessionCookie(CookieContainer cookies, Uri proxyUrl) =>
        cookies.GetCookies(proxyUrl)[SessionCookieName]?.Value
        ?? throw new Xunit.Sdk.XunitException($"The Proxy did not set the '{SessionCookieName}' cookie.");

    /// <summary>Calls the local Supabase API directly (not through the Proxy) with the token the browser was given.</summary>
    private static async Task AssertSupabaseRefusesAsync(string browserToken, string anonKey, CancellationToken ct)
    {
        using var supabase = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:54321"), Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/rest/v1/posts?select=id&limit=1");
        request.Headers.Add("apikey", anonKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", browserToken);
        using var response = await supabase.SendAsync(request, ct);
        await AssertStatusAsync(HttpStatusCode.Unauthorized, response, ct);
    }

    private static async Task AssertStatusAsync(HttpStatusCode expected, HttpResponseMessage response, CancellationToken ct)
    {
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}, expected {(int)expected}: {body}");
        }
    }
}
