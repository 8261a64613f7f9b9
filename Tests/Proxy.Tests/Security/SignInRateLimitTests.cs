using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Proxy.Tests.Support;

namespace Proxy.Tests.Security;

public sealed class RateLimitedProxyHarness : ProxyHarness
{
    protected override IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>
    {
        ["Gateway:RateLimits:SignInsPerWindow"] = "3",
    };
}

/// <summary>Sign-in attempts per client IP are limited before they reach GoTrue, in GoTrue's own error format.</summary>
public sealed class SignInRateLimitTests(RateLimitedProxyHarness proxy) : IClassFixture<RateLimitedProxyHarness>
{
    [Fact]
    public async Task AttemptsBeyondTheLimitAreRefusedWithoutReachingGoTrue()
    {
        for (var i = 0; i < 3; i++)
        {
            await proxy.SignInAsync();
        }
        var upstream = proxy.Supabase.RequestsTo("/auth/v1/token").Count();

        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=password", json: new { email = "ann@example.com", password = "right" });
        request.Headers.Add("X-Supabase-Api-Version", "2024-01-01");
        using var limited = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("over_request_rate_limit", (await limited.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>());
        Assert.True(limited.Headers.RetryAfter is not null);

        var form = proxy.Request(HttpMethod.Post, "/edge/v1/forms/sign-in");
        form.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "ann@example.com", ["password"] = "right", ["return_url"] = "/" });
        using var formAnswer = await proxy.Client.SendAsync(form);
        Assert.StartsWith("/sign-in?error=over_request_rate_limit", formAnswer.Headers.Location!.OriginalString);

        Assert.Equal(upstream, proxy.Supabase.RequestsTo("/auth/v1/token").Count());
    }
}
