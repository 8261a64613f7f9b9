using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace AppHost.Tests;

/// <summary>
/// What a user does through the Proxy, whatever runs behind it: sign up, sign in, read the session, write, read and
/// delete a row under RLS, sign out, and the old cookie refused afterwards.
/// </summary>
internal static class GatewayJourney
{
    public const string SessionCookieName = "sb-session"; // plain http locally, so no __Host- prefix

    public static async Task RunAsync(Uri proxyUrl, Uri supabaseUrl, string anonKey, CancellationToken ct)
    {
        using var browser = new BrowserLikeClient(proxyUrl, anonKey);
        var http = browser.Http;

        // Pages come from SampleWeb through the Proxy (service discovery: http://sampleweb).
        using (var home = await http.GetAsync("/", ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, home, ct);
            Assert.Equal("text/html", home.Content.Headers.ContentType?.MediaType);
        }

        var (email, credentials) = NewUser();
        using (var signUp = await http.PostAsJsonAsync("/supabase/auth/v1/signup", credentials, ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, signUp, ct); // email confirmation is off locally
        }
        var cookieAfterSignUp = SessionCookie(browser);

        var placeholderToken = await SignInAsync(browser, credentials, ct);
        Assert.NotEqual(cookieAfterSignUp, SessionCookie(browser)); // a new session id on every sign-in

        // What the browser holds is not a token Supabase accepts.
        await AssertSupabaseRefusesAsync(supabaseUrl, placeholderToken, anonKey, ct);

        var session = await http.GetFromJsonAsync<JsonElement>("/edge/v1/session", ct);
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
        using (var inserted = await http.SendAsync(insert, ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.Created, inserted, ct);
            var row = Assert.Single((await inserted.Content.ReadFromJsonAsync<JsonElement>(ct)).EnumerateArray());
            Assert.Equal(userId, row.GetProperty("user_id").GetString());
            postId = row.GetProperty("id").GetInt64();
        }
        var read = await http.GetFromJsonAsync<JsonElement>($"/supabase/rest/v1/posts?id=eq.{postId}&select=title", ct);
        Assert.Equal(title, Assert.Single(read.EnumerateArray()).GetProperty("title").GetString());

        // Another user cannot delete it (RLS): the delete matches no row they may touch, and the row is still there.
        using (var stranger = new BrowserLikeClient(proxyUrl, anonKey))
        {
            var (_, strangerCredentials) = NewUser();
            using (var strangerSignUp = await stranger.Http.PostAsJsonAsync("/supabase/auth/v1/signup", strangerCredentials, ct))
            {
                await HttpAssert.StatusAsync(HttpStatusCode.OK, strangerSignUp, ct);
            }
            using var strangerDelete = await stranger.Http.DeleteAsync($"/supabase/rest/v1/posts?id=eq.{postId}", ct);
            Assert.True(strangerDelete.IsSuccessStatusCode || strangerDelete.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized,
                $"stranger's delete answered {(int)strangerDelete.StatusCode}");
        }
        var stillThere = await http.GetFromJsonAsync<JsonElement>($"/supabase/rest/v1/posts?id=eq.{postId}&select=id", ct);
        Assert.Equal(1, stillThere.GetArrayLength());

        using (var deleted = await http.DeleteAsync($"/supabase/rest/v1/posts?id=eq.{postId}", ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.NoContent, deleted, ct);
        }
        var afterDelete = await http.GetFromJsonAsync<JsonElement>($"/supabase/rest/v1/posts?id=eq.{postId}&select=id", ct);
        Assert.Equal(0, afterDelete.GetArrayLength());

        // Sign out: the cookie is cleared, and a copy kept from before is refused (never served anonymously).
        var cookieHeaderBeforeSignOut = browser.Jar.CookieHeader;
        using (var signOut = await http.PostAsync("/supabase/auth/v1/logout", content: null, ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.NoContent, signOut, ct);
        }
        Assert.Null(browser.Jar[SessionCookieName]);
        using (var afterSignOut = await http.GetAsync("/edge/v1/session", ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.Unauthorized, afterSignOut, ct);
        }
        using var replay = new HttpClient { BaseAddress = proxyUrl, Timeout = TimeSpan.FromSeconds(30) };
        replay.DefaultRequestHeaders.Add("apikey", anonKey);
        replay.DefaultRequestHeaders.Add("Cookie", cookieHeaderBeforeSignOut);
        foreach (var path in new[] { "/edge/v1/session", "/supabase/rest/v1/posts?select=id&limit=1" })
        {
            using var refused = await replay.GetAsync(path, ct);
            await HttpAssert.StatusAsync(HttpStatusCode.Unauthorized, refused, ct);
            var error = await refused.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.Equal("session_expired", error.GetProperty("code").GetString());
        }
    }

    public static (string Email, object Credentials) NewUser()
    {
        var email = $"apphost-{Guid.NewGuid():N}@example.com";
        return (email, new { email, password = $"pw-{Guid.NewGuid():N}" });
    }

    /// <summary>Password sign-in; returns the access token the browser is given (a placeholder, not Supabase's).</summary>
    public static async Task<string> SignInAsync(BrowserLikeClient browser, object credentials, CancellationToken ct)
    {
        using var signIn = await browser.Http.PostAsJsonAsync("/supabase/auth/v1/token?grant_type=password", credentials, ct);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, signIn, ct);
        var body = await signIn.Content.ReadFromJsonAsync<JsonElement>(ct);
        return body.GetProperty("access_token").GetString()!;
    }

    public static string SessionCookie(BrowserLikeClient browser) =>
        browser.Jar[SessionCookieName] ?? throw new Xunit.Sdk.XunitException($"The Proxy did not set the '{SessionCookieName}' cookie.");

    /// <summary>Calls Supabase directly (not through the Proxy) with the token the browser was given.</summary>
    private static async Task AssertSupabaseRefusesAsync(Uri supabaseUrl, string browserToken, string anonKey, CancellationToken ct)
    {
        using var supabase = new HttpClient { BaseAddress = supabaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/rest/v1/posts?select=id&limit=1");
        request.Headers.Add("apikey", anonKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", browserToken);
        using var response = await supabase.SendAsync(request, ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Unauthorized, response, ct);
    }
}
