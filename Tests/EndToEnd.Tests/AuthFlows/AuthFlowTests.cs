using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EndToEnd.Tests.Infrastructure;
using TestSupport;
using Xunit.Abstractions;

namespace EndToEnd.Tests.AuthFlows;

/// <summary>
/// The redirecting sign-ins with the real supabase-js through the Proxy: OAuth with PKCE against the emulator's fake
/// provider, email OTP, magic link by token hash, the PKCE email link; and open redirects refused before Supabase.
/// </summary>
[Collection(AuthFlowCollection.Name)]
public sealed class AuthFlowTests(AuthFlowGatewayStack stack, ITestOutputHelper output)
{
    private const string Password = "correct-horse-battery";

    [Fact]
    public async Task OAuthPkceRoundTripThroughTheGatewayEndsInACookieSession()
    {
        var email = NewEmail("oauth");
        var result = await RunAsync(new { flow = "oauthPkce", email });
        var o = result.Output;

        // authorize went through the Proxy; the provider sent the browser back to GoTrue's callback on the Proxy.
        Assert.Equal(stack.ProxyUrl.ToString().TrimEnd('/') + "/supabase/auth/v1/authorize", o.GetProperty("authorize").GetProperty("origin").GetString());
        Assert.Equal("s256", o.GetProperty("authorize").GetProperty("codeChallengeMethod").GetString());
        var hops = o.GetProperty("hops").EnumerateArray().Select(h => (Url: h.GetProperty("url").GetString()!, Status: h.GetProperty("status").GetInt32())).ToList();
        Assert.Equal(
            [stack.PublicOrigin + "/supabase/auth/v1/authorize", stack.Emulator.Url.ToString().TrimEnd('/') + "/__emulator/oauth/authorize", stack.PublicOrigin + "/supabase/auth/v1/callback"],
            hops.Select(h => h.Url));
        Assert.All(hops, h => Assert.Equal(302, h.Status));
        var landed = new Uri(o.GetProperty("landed").GetString()!);
        Assert.Equal(stack.PublicOrigin + "/auth/callback", landed.GetLeftPart(UriPartial.Path));
        Assert.Contains("next=%2Fnotes", landed.Query);

        var exchange = o.GetProperty("exchange");
        Assert.True(exchange.GetProperty("error").ValueKind == JsonValueKind.Null, result.ToString());
        Assert.Equal(email, exchange.GetProperty("email").GetString());
        Assert.Equal("emulator", exchange.GetProperty("provider").GetString());
        Assert.Equal(200, o.GetProperty("edge").GetProperty("status").GetInt32());
        Assert.Equal(email, o.GetProperty("edge").GetProperty("email").GetString());
        Assert.Equal(email, o.GetProperty("user").GetString());
        await AssertPlaceholdersOnlyAsync(o);

        // The PKCE exchange went through the interception: Supabase saw exactly one, with the client's IP.
        var exchanges = (await stack.EmulatorRequestsAsync("/auth/v1/token")).Where(r => ((string?)r!["query"])!.Contains("grant_type=pkce")).ToList();
        Assert.NotEmpty(exchanges);
        output.WriteLine($"OAuth PKCE round trip: {o.GetProperty("totalMs").GetInt32()} ms (hops {string.Join(", ", o.GetProperty("hops").EnumerateArray().Select(h => h.GetProperty("ms").GetInt32() + " ms"))})");
    }

    [Fact]
    public async Task OpenRedirectAttemptsAreRefusedAndNeverReachSupabase()
    {
        var marker = Guid.NewGuid().ToString("N");
        await stack.EmulatorHttp.GetAsync("/__emulator/alive");
        var result = await RunAsync(new { flow = "openRedirect", marker, email = NewEmail("redirect") });

        var attempts = result.Output.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(5, attempts.Count);
        foreach (var attempt in attempts)
        {
            var what = attempt.GetProperty("redirectTo").GetString();
            var authorize = attempt.GetProperty("authorize");
            Assert.True(authorize.GetProperty("status").GetInt32() == 400, $"authorize with {what}: {authorize}");
            Assert.Equal("validation_failed", authorize.GetProperty("code").GetString());
            Assert.Equal(JsonValueKind.Null, authorize.GetProperty("location").ValueKind);
            var otp = attempt.GetProperty("otp");
            Assert.True(otp.GetProperty("status").GetInt32() == 400, $"otp with {what}: {otp}");
            Assert.Equal("validation_failed", otp.GetProperty("code").GetString());
        }

        // The emulator's log holds every request it received: none carries the marker.
        var seen = await stack.EmulatorRequestsAsync("/auth/v1/");
        Assert.DoesNotContain(seen, r => r!.ToJsonString().Contains(marker, StringComparison.Ordinal));
        output.WriteLine($"{attempts.Count} hostile redirect_to values x 2 routes refused with 400; emulator log ({seen.Count} auth requests) has none of them");
    }

    [Fact]
    public async Task EmailOtpCodeSignsInOnce()
    {
        var email = NewEmail("otp");
        var result = await RunAsync(new { flow = "emailOtp", email });
        var o = result.Output;

        // The allowed target got through; the mail points at the gateway's callback (a gateway-owned PKCE flow, since
        // this implicit-flow client sent no challenge), which holds the target in this browser's flow cookie.
        Assert.StartsWith(stack.PublicOrigin + "/edge/v1/auth/callback?flow=", o.GetProperty("mailRedirectTo").GetString());
        Assert.True(o.GetProperty("verify").GetProperty("error").ValueKind == JsonValueKind.Null, result.ToString());
        Assert.Equal(email, o.GetProperty("verify").GetProperty("email").GetString());
        Assert.Equal("otp_expired", o.GetProperty("replay").GetProperty("code").GetString());
        Assert.Equal(200, o.GetProperty("edge").GetProperty("status").GetInt32());
        Assert.Equal(email, o.GetProperty("edge").GetProperty("email").GetString());
        await AssertPlaceholdersOnlyAsync(o);
    }

    [Fact]
    public async Task MagicLinkTokenHashVerifiesIntoACookieSession()
    {
        var email = NewEmail("magic");
        var result = await RunAsync(new { flow = "magicLinkHash", email, password = Password });
        var o = result.Output;

        Assert.Equal("magiclink", o.GetProperty("mailType").GetString());
        Assert.True(o.GetProperty("verify").GetProperty("error").ValueKind == JsonValueKind.Null, result.ToString());
        Assert.Equal(email, o.GetProperty("verify").GetProperty("email").GetString());
        Assert.Equal(200, o.GetProperty("edge").GetProperty("status").GetInt32());
        Assert.Equal(email, o.GetProperty("edge").GetProperty("email").GetString());
        await AssertPlaceholdersOnlyAsync(o);
    }

    [Fact]
    public async Task PkceEmailLinkComesBackThroughTheGatewayAndExchangesForACookieSession()
    {
        var email = NewEmail("pkcelink");
        var marker = Guid.NewGuid().ToString("N");
        var result = await RunAsync(new { flow = "pkceEmailLink", email, password = Password, marker });
        var o = result.Output;

        Assert.Equal(stack.PublicOrigin + "/supabase/auth/v1/verify", o.GetProperty("link").GetString());
        Assert.Equal(400, o.GetProperty("tamperedStatus").GetInt32());
        var hop = Assert.Single(o.GetProperty("hops").EnumerateArray());
        Assert.Equal(303, hop.GetProperty("status").GetInt32());
        var landed = new Uri(o.GetProperty("landed").GetString()!);
        Assert.Equal(stack.PublicOrigin + "/auth/confirm", landed.GetLeftPart(UriPartial.Path));
        Assert.StartsWith("?code=", landed.Query);
        Assert.True(o.GetProperty("exchange").GetProperty("error").ValueKind == JsonValueKind.Null, result.ToString());
        Assert.Equal(email, o.GetProperty("exchange").GetProperty("email").GetString());
        Assert.Equal(200, o.GetProperty("edge").GetProperty("status").GetInt32());
        Assert.Equal(email, o.GetProperty("edge").GetProperty("email").GetString());
        await AssertPlaceholdersOnlyAsync(o);
        Assert.DoesNotContain(await stack.EmulatorRequestsAsync("/auth/v1/verify"), r => r!.ToJsonString().Contains(marker, StringComparison.Ordinal));
    }

    private async Task<NodeResult> RunAsync(object input)
    {
        var result = await stack.RunNodeAsync("auth-flows.mjs", input);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <summary>What supabase-js kept (the browser-visible tokens) opens nothing at Supabase itself.</summary>
    private async Task AssertPlaceholdersOnlyAsync(JsonElement output)
    {
        var stored = output.GetProperty("stored").EnumerateArray().Select(t => t.GetString()!).ToList();
        Assert.True(stored.Count >= 2, "supabase-js stored no session");
        foreach (var token in stored)
        {
            Assert.DoesNotContain("emulator_provider_token", token); // the provider token stays server-side too
            using var user = new HttpRequestMessage(HttpMethod.Get, "/auth/v1/user");
            user.Headers.Add("apikey", LocalSupabaseKeys.AnonKey);
            user.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            using var userAnswer = await stack.EmulatorHttp.SendAsync(user);
            Assert.NotEqual(HttpStatusCode.OK, userAnswer.StatusCode);

            using var refresh = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { refresh_token = token }), MediaTypeHeaderValue.Parse("application/json")),
            };
            refresh.Headers.Add("apikey", LocalSupabaseKeys.AnonKey);
            using var refreshAnswer = await stack.EmulatorHttp.SendAsync(refresh);
            Assert.NotEqual(HttpStatusCode.OK, refreshAnswer.StatusCode);
        }
    }

    private static string NewEmail(string prefix) => $"{prefix}-{Guid.NewGuid():N}@example.com";
}
