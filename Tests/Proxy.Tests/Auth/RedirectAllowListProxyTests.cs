using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Proxy.Tests.Support;

namespace Proxy.Tests.Auth;

/// <summary>The Proxy with a redirect allow-list entry in front of the fake Supabase.</summary>
public sealed class RedirectAllowListHarness : ProxyHarness
{
    public const string ExtraAllowed = "http://localhost:3000/**";

    protected override IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>
    {
        ["Gateway:AllowedRedirectUrls:0"] = ExtraAllowed,
    };
}

/// <summary>
/// Every place GoTrue reads a redirect target from, on every auth route that redirects: a foreign target is
/// answered 400 in GoTrue's format and upstream never hears of it; allowed targets pass untouched.
/// </summary>
public sealed class RedirectAllowListProxyTests(RedirectAllowListHarness proxy) : IClassFixture<RedirectAllowListHarness>
{
    public static TheoryData<string, string, string> HostileRequests()
    {
        var data = new TheoryData<string, string, string>();
        string[] targets = ["https://evil.example/{0}", "http://127.0.0.1@evil.example/{0}", "//evil.example/{0}", "https:\\\\evil.example\\{0}", "javascript:alert('{0}')"];
        foreach (var target in targets)
        {
            foreach (var route in new[] { "GET /supabase/auth/v1/authorize?provider=github&redirect_to=", "POST /supabase/auth/v1/otp?redirect_to=",
                "POST /supabase/auth/v1/signup?redirect_to=", "POST /supabase/auth/v1/recover?redirect_to=", "POST /supabase/auth/v1/magiclink?redirect_to=",
                "GET /supabase/auth/v1/verify?token=pkce_x&type=magiclink&redirect_to=", "PUT /supabase/auth/v1/user?redirect_to=",
                "POST /supabase/auth/v1/resend?redirect_to=", "GET /supabase/auth/v1/user/identities/authorize?provider=github&redirect_to=" })
            {
                data.Add(route, target, "query");
            }
        }
        data.Add("GET /supabase/auth/v1/authorize?provider=github&REDIRECT_TO=", targets[0], "query");
        data.Add("POST /supabase/auth/v1/verify", targets[0], "json");
        data.Add("POST /supabase/auth/v1/verify", targets[1], "json-case");
        data.Add("POST /supabase/auth/v1/invite", targets[0], "json-email");
        data.Add("POST /supabase/auth/v1/otp", targets[0], "form");
        data.Add("GET /supabase/auth/v1/authorize?provider=github", targets[0], "header");
        data.Add("GET /supabase/auth/v1/authorize?provider=github&redirect_to=http%3A%2F%2F127.0.0.1%3A1%2F&redirect_to=", targets[0], "query");
        return data;
    }

    [Theory]
    [MemberData(nameof(HostileRequests))]
    public async Task ForeignRedirectTargetsAreRefusedBeforeUpstream(string route, string target, string channel)
    {
        var marker = Guid.NewGuid().ToString("N");
        var value = string.Format(System.Globalization.CultureInfo.InvariantCulture, target, marker);
        var (method, path) = (route.Split(' ')[0], route.Split(' ')[1]);
        if (channel == "query")
        {
            path += Uri.EscapeDataString(value);
        }
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add("Origin", proxy.PublicOrigin);
        switch (channel)
        {
            case "json":
                request.Content = JsonContent.Create(new JsonObject { ["type"] = "magiclink", ["token_hash"] = "x", ["redirect_to"] = value });
                break;
            case "json-case":
                request.Content = new StringContent($$"""{"type":"magiclink","token_hash":"x","Redirect_To":"{{value}}"}""", Encoding.UTF8, "application/json");
                break;
            case "json-email":
                request.Content = JsonContent.Create(new JsonObject { ["email"] = "a@example.com", ["email_redirect_to"] = value });
                break;
            case "form":
                request.Content = new FormUrlEncodedContent([new("email", "a@example.com"), new("redirect_to", value)]);
                break;
            case "header":
                request.Headers.TryAddWithoutValidation("redirect_to", value);
                break;
            default:
                if (method != "GET")
                {
                    request.Content = JsonContent.Create(new JsonObject { ["email"] = "a@example.com" });
                }
                break;
        }

        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(400, (int?)body!["code"]);
        Assert.Equal("validation_failed", (string?)body["error_code"]);
        Assert.Equal("validation_failed", response.Headers.GetValues("x-sb-error-code").Single());
        Assert.DoesNotContain(marker, (string?)body["msg"]); // the target is not reflected
        Assert.DoesNotContain(proxy.Supabase.Requests, r => (r.Query + r.Body + string.Join(' ', r.Headers.Values)).Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AuthJsSeesTheVersionedErrorShape()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/supabase/auth/v1/otp?redirect_to=" + Uri.EscapeDataString("https://evil.example/"))
        {
            Content = JsonContent.Create(new { email = "a@example.com" }),
        };
        request.Headers.Add("X-Supabase-Api-Version", "2024-01-01");
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("validation_failed", (string?)body!["code"]);
        Assert.Equal("2024-01-01", response.Headers.GetValues("X-Supabase-Api-Version").Single());
    }

    /// <summary>The client's own PKCE flows (a code_challenge is sent); without one the gateway owns the flow (ServerPkceTests).</summary>
    private const string ClientChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    [Theory]
    [InlineData("GET", "/supabase/auth/v1/authorize?provider=github&code_challenge=" + ClientChallenge + "&code_challenge_method=s256&redirect_to={0}")]
    [InlineData("POST", "/supabase/auth/v1/otp?redirect_to={0}")]
    [InlineData("GET", "/supabase/auth/v1/verify?token=pkce_x&type=magiclink&redirect_to={0}")]
    public async Task AllowedTargetsReachUpstreamUnchanged(string method, string pathFormat)
    {
        foreach (var target in new[] { proxy.PublicOrigin + "/auth/callback?next=%2Fnotes", "http://localhost:3000/deep/link" })
        {
            var path = string.Format(System.Globalization.CultureInfo.InvariantCulture, pathFormat, Uri.EscapeDataString(target));
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            request.Headers.Add("Origin", proxy.PublicOrigin);
            if (method == "POST")
            {
                request.Content = JsonContent.Create(new { email = "a@example.com", code_challenge = ClientChallenge, code_challenge_method = "s256" });
            }
            using var response = await proxy.Client.SendAsync(request);

            Assert.NotEqual(HttpStatusCode.BadRequest, response.StatusCode);
            var upstreamPath = path["/supabase".Length..].Split('?')[0];
            Assert.Contains(proxy.Supabase.RequestsTo(upstreamPath), r => r.Query.Contains(Uri.EscapeDataString(target), StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AnAllowedJsonBodyStillReachesTheSignInInterceptionIntact()
    {
        var body = $$"""{"email":"ann@example.com","password":"right","redirect_to":"{{proxy.PublicOrigin}}/welcome"}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=password")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Origin", proxy.PublicOrigin);
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, proxy.Supabase.RequestsTo("/auth/v1/token").Last().Body);
        Assert.NotNull(ProxyHarness.SetCookieValue(response));
    }

    [Fact]
    public async Task RoutesOutsideAuthAreNotInspected()
    {
        using var response = await proxy.Client.GetAsync("/supabase/rest/v1/posts?redirect_to=" + Uri.EscapeDataString("https://evil.example/"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

/// <summary>A pattern that would allow every site stops the Proxy at startup, naming the setting.</summary>
public sealed class RedirectAllowListStartupTests
{
    [Fact]
    public async Task AnOverlyBroadPatternStopsStartup()
    {
        var settings = ProxyStartup.ValidSettings();
        settings["Gateway:AllowedRedirectUrls:0"] = "http://localhost:3000/**";
        settings["Gateway:AllowedRedirectUrls:1"] = "https://**";

        var error = await ProxyStartup.ErrorAsync(settings);

        Assert.NotNull(error);
        Assert.Contains("Gateway:AllowedRedirectUrls:1", error.ToString(), StringComparison.Ordinal);
    }
}
