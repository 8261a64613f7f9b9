using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using TestSupport;

namespace EndToEnd.Tests.AuthFlows;

/// <summary>
/// A browser profile (its own cookies and storage) with an app page at <c>&lt;origin&gt;/app/…</c> that loads the real
/// supabase-js (its UMD bundle from Tests/js) with the settings an unchanged app uses: <c>detectSessionInUrl</c> on and
/// the default implicit flow (or PKCE when asked). Every URL and Location the browser saw is kept, so a test can look
/// for Supabase tokens anywhere the browser had them.
/// </summary>
public sealed partial class SupabaseJsAppTab : IAsyncDisposable
{
    private static readonly string Bundle = Path.Combine(RepoPaths.Root, "Tests", "js", "node_modules", "@supabase", "supabase-js", "dist", "umd", "supabase.js");
    private readonly IBrowserContext _context;
    private readonly ConcurrentQueue<string> _seen = new();
    private readonly ConcurrentQueue<string> _console = new();

    private SupabaseJsAppTab(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
    }

    public IPage Page { get; }

    /// <summary>Request URLs and Location headers, in order.</summary>
    public IReadOnlyCollection<string> Seen => _seen;

    public static async Task<SupabaseJsAppTab> OpenAsync(IBrowser browser, string origin, string flowType = "implicit")
    {
        var context = await browser.NewContextAsync();
        // Redirected navigations are not seen by Playwright's routing, so the page comes from a real server (behind the Proxy).
        await context.AddInitScriptAsync($"localStorage.setItem('flowType', '{flowType}');");
        var tab = new SupabaseJsAppTab(context, await context.NewPageAsync());
        context.Request += (_, request) => tab._seen.Enqueue(request.Url);
        context.Response += (_, response) =>
        {
            if (response.Headers.TryGetValue("location", out var location))
            {
                tab._seen.Enqueue(location);
            }
        };
        tab.Page.Console += (_, message) => tab._console.Enqueue(message.Type + ": " + message.Text);
        tab.Page.PageError += (_, error) => tab._console.Enqueue("page error: " + error);
        await tab.Page.GotoAsync(origin + "/app/");
        await tab.ReadyAsync();
        return tab;
    }

    /// <summary>What supabase-js made of the page's URL: its initialisation error, the session, the auth events and the URL hash it found.</summary>
    public async Task<JsonElement> ReadyAsync()
    {
        await Page.WaitForLoadStateAsync(LoadState.Load);
        var ready = await Page.EvaluateAsync<JsonElement>("() => window.ready ?? { pageUrl: location.href, ready: typeof window.ready, supabase: typeof window.supabase }");
        return ready.ValueKind == JsonValueKind.Object && ready.TryGetProperty("session", out _)
            ? ready
            : throw new InvalidOperationException($"The app page did not start supabase-js at {Page.Url}: {ready} {string.Join(" | ", _console)}");
    }

    /// <summary>Starts something that navigates away (signInWithOAuth) and waits for the app page to load again.</summary>
    public async Task<JsonElement> NavigateThroughAsync(string script, object? argument, string landedGlob)
    {
        await Page.EvaluateAsync(script, argument);
        await Page.WaitForURLAsync(landedGlob, new() { Timeout = 30_000 });
        return await ReadyAsync();
    }

    /// <summary>Opens a mailed link in this tab and waits for the app page.</summary>
    public async Task<JsonElement> OpenLinkAsync(string link, string landedGlob)
    {
        await Page.GotoAsync(link);
        await Page.WaitForURLAsync(landedGlob, new() { Timeout = 30_000 });
        return await ReadyAsync();
    }

    public async Task<JsonElement> EvaluateAsync(string script, object? argument = null) => await Page.EvaluateAsync<JsonElement>(script, argument);

    /// <summary>Everything in this profile's storage (what an XSS could read).</summary>
    public async Task<string> StorageDumpAsync() => (await Page.EvaluateAsync<JsonElement>("() => JSON.stringify({ ...localStorage, ...sessionStorage })")).GetString()!;

    public async Task<IReadOnlyList<BrowserContextCookiesResult>> CookiesAsync() => await _context.CookiesAsync();

    /// <summary>
    /// Credentials Supabase would accept found in <paramref name="text"/> (URL-decoded first): JWTs for a user signed with
    /// the project secret, and refresh tokens that are not the gateway's <c>gw_</c> placeholders.
    /// </summary>
    public static List<string> RealTokensIn(string text)
    {
        var decoded = Uri.UnescapeDataString(text.Replace('+', ' '));
        var found = new List<string>();
        foreach (Match jwt in Jwt().Matches(decoded))
        {
            if (IsUserTokenSignedWithProjectSecret(jwt.Value))
            {
                found.Add("access token " + jwt.Value[..Math.Min(24, jwt.Value.Length)] + "…");
            }
        }
        foreach (Match refresh in RefreshToken().Matches(decoded))
        {
            var value = refresh.Groups[1].Value;
            if (value.Length > 0 && !value.StartsWith("gw_", StringComparison.Ordinal))
            {
                found.Add("refresh token " + value);
            }
        }
        return found;
    }

    private static bool IsUserTokenSignedWithProjectSecret(string jwt)
    {
        var parts = jwt.Split('.');
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(LocalSupabaseKeys.JwtSecret));
        var signature = System.Buffers.Text.Base64Url.EncodeToString(hmac.ComputeHash(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1])));
        if (signature != parts[2])
        {
            return false;
        }
        using var payload = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
        return payload.RootElement.TryGetProperty("sub", out _); // the anon and service keys have no user
    }

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")]
    private static partial Regex Jwt();

    [GeneratedRegex("\"?refresh_token\"?\\s*[=:]\\s*\"?([^&\"#\\s,}]*)")]
    private static partial Regex RefreshToken();

    public async ValueTask DisposeAsync() => await _context.CloseAsync();

    /// <summary>The app: any path serves the page, /app/supabase.js the bundle. The Proxy forwards page requests here.</summary>
    public static Task<FakeHost> StartPageServerAsync() => FakeHost.StartAsync(app =>
    {
        app.MapGet("/app/supabase.js", () => Results.File(Bundle, "application/javascript"));
        app.MapFallback((HttpContext context) => Results.Content(AppHtml(), "text/html; charset=utf-8"));
    });

    private static string AppHtml() => $$"""
        <!doctype html><meta charset="utf-8"><title>app</title>
        <script src="/app/supabase.js"></script>
        <script>
          window.landedHash = location.hash;
          window.landedSearch = location.search;
          window.events = [];
          window.client = supabase.createClient(location.origin + '/supabase', '{{LocalSupabaseKeys.AnonKey}}', {
            auth: { flowType: localStorage.getItem('flowType') ?? 'implicit', detectSessionInUrl: true, autoRefreshToken: false, persistSession: true },
          });
          client.auth.onAuthStateChange((event, session) => events.push({ event, accessToken: session?.access_token ?? null }));
          window.ready = client.auth.initialize().then(async (init) => {
            const { data } = await client.auth.getSession();
            return {
              error: init.error ? { message: init.error.message, code: init.error.code ?? null } : null,
              session: data.session,
              events: window.events,
              landedHash: window.landedHash,
              landedSearch: window.landedSearch,
            };
          });
        </script>
        """;
}
