using System.Net;
using TestSupport;

namespace EndToEnd.Tests.Browser;

/// <summary>SampleWeb started alone, with its SessionApi (JWKS) and Supabase pointing at closed ports.</summary>
public sealed class SampleWebWithDeadDependencies : IAsyncLifetime
{
    public ServiceProcess SampleWeb { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        SampleWeb = await ServiceProcess.StartAsync("sampleweb-alone", "SampleWeb", new Dictionary<string, string?>
        {
            ["Gateway:SessionApiUrl"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Supabase:Url"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
        });
        Client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = SampleWeb.Url };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await SampleWeb.DisposeAsync();
    }
}

/// <summary>What a visitor sees when something behind the page fails: a clear page or banner, never a stack trace.</summary>
public sealed class SampleWebWithoutDependenciesTests(SampleWebWithDeadDependencies app) : IClassFixture<SampleWebWithDeadDependencies>
{
    private async Task<(HttpResponseMessage Response, string Html)> GetAsync(string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }
        var response = await app.Client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SupabaseDownGivesAFriendlyErrorPage()
    {
        var (response, html) = await GetAsync("/posts");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("We could not load this page", html);
        Assert.Contains("data-testid=\"error-page\"", html);
        Assert.DoesNotContain("Exception", html);
        Assert.DoesNotContain("   at ", html);
    }

    [Fact]
    public async Task TheProxysSessionStatesBecomeBanners()
    {
        var (_, ended) = await GetAsync("/", ("X-Gateway-Session", "ended"));
        Assert.Contains("data-testid=\"session-ended\"", ended);
        Assert.Contains("You were signed out on this device", ended);
        Assert.Contains("data-testid=\"anonymous-home\"", ended);

        // A protected page cannot show the banner (it redirects): the sign-in page it sends to says why instead.
        var (endedNotes, _) = await GetAsync("/notes", ("X-Gateway-Session", "ended"));
        Assert.Equal("/sign-in?return_url=%2Fnotes&notice=session-ended", endedNotes.Headers.Location!.OriginalString);
        var (anonymousNotes, _) = await GetAsync("/notes");
        Assert.Equal("/sign-in?return_url=%2Fnotes", anonymousNotes.Headers.Location!.OriginalString);

        var (_, unavailable) = await GetAsync("/", ("X-Gateway-Session", "unavailable"));
        Assert.Contains("data-testid=\"session-unavailable\"", unavailable);

        var (_, plain) = await GetAsync("/");
        Assert.DoesNotContain("data-testid=\"session-", plain);
    }

    [Fact]
    public async Task AnAssertionThatCannotBeVerifiedIsAnonymousWithTheUnavailableBanner()
    {
        // The JWKS cannot be fetched, so even a well-formed assertion proves nothing: anonymous, and the user is told why.
        var (response, html) = await GetAsync("/", ("X-Gateway-Identity", ForgedAssertions.Es256WithForeignKey("k1")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("data-testid=\"anonymous-home\"", html);
        Assert.Contains("data-testid=\"session-unavailable\"", html);
        Assert.DoesNotContain("signed-in-as", html);
    }

    [Fact]
    public async Task ProtectedPagesSendAnonymousVisitorsToSignInAndBack()
    {
        var (response, _) = await GetAsync("/notes?filter=recent");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/sign-in?return_url=%2Fnotes%3Ffilter%3Drecent", response.Headers.Location!.ToString());

        var (signIn, html) = await GetAsync("/sign-in?return_url=%2Fnotes%3Ffilter%3Drecent");
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Contains("name=\"return_url\" value=\"/notes?filter=recent\"", html);
        Assert.Contains("action=\"/edge/v1/forms/sign-in\"", html);
    }

    [Fact]
    public async Task SignInShowsTheGatewaysErrorsAsSentences()
    {
        var (_, wrong) = await GetAsync("/sign-in?error=invalid_credentials");
        Assert.Contains("Wrong email or password.", wrong);
        var (_, limited) = await GetAsync("/sign-in?error=over_request_rate_limit");
        Assert.Contains("Too many attempts", limited);
        var (_, unknown) = await GetAsync("/sign-in?error=%3Cscript%3E");
        Assert.Contains("Something went wrong. Please try again.", unknown);
        Assert.DoesNotContain("<script>", unknown);
    }

    [Fact]
    public async Task PagesAreNotCachedAndCarryAStrictContentPolicy()
    {
        var (response, _) = await GetAsync("/sign-in");
        Assert.Contains("Cookie", response.Headers.Vary);
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task AMissingSettingStopsStartupNamingIt()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => ServiceProcess.StartAsync("sampleweb-misconfigured", "SampleWeb",
            new Dictionary<string, string?>
            {
                ["Gateway:SessionApiUrl"] = "http://127.0.0.1:1",
                ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
            }));
        Assert.Contains("Supabase:Url", failure.Message);
    }
}
