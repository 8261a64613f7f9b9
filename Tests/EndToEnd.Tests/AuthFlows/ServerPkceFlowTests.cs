using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using EndToEnd.Tests.Infrastructure;
using TestSupport;
using Xunit.Abstractions;

namespace EndToEnd.Tests.AuthFlows;

/// <summary>
/// Issue 20, points 1 and 2: with GoTrue configured like a hosted project (its callback and email links are on
/// Supabase's URL, not the gateway's), an unchanged supabase-js app in Chromium (default implicit flow,
/// <c>detectSessionInUrl</c>) signs in by OAuth and by every email link the emulator mails, ends with the gateway's
/// cookie session, and never has a token Supabase accepts: not in a URL, a Location, the page's storage or its events.
/// </summary>
[Collection(HostedGoTrueCollection.Name)]
public sealed class ServerPkceFlowTests(HostedGoTrueStack fixture, ITestOutputHelper output)
{
    private const string Password = "correct-horse-battery";
    private TestStack Stack => fixture.Stack;
    private string Origin => Stack.PublicOrigin;

    [Fact]
    public async Task ImplicitOAuthClientGetsACookieSessionAndOnlyPlaceholders()
    {
        var email = NewEmail("oauth");
        await using var tab = await SupabaseJsAppTab.OpenAsync(fixture.Browser, Origin);

        var landed = await tab.NavigateThroughAsync(
            "email => { client.auth.signInWithOAuth({ provider: 'emulator', options: { redirectTo: location.origin + '/app/landed', queryParams: { login_hint: email } } }); }",
            email, "**/app/landed**");

        // GoTrue's own callback (on Supabase's URL) sent the browser to the gateway, which sent it on to the app.
        Assert.Contains(tab.Seen, u => u.StartsWith(Stack.Emulator.Url.ToString().TrimEnd('/') + "/auth/v1/callback", StringComparison.Ordinal));
        Assert.Contains(tab.Seen, u => u.StartsWith(Origin + "/edge/v1/auth/callback?flow=", StringComparison.Ordinal));
        await AssertSignedInWithPlaceholdersOnlyAsync(tab, landed, email);
    }

    [Fact]
    public async Task EveryEmailLinkTypeEndsInACookieSessionWithPlaceholdersOnly()
    {
        var email = NewEmail("links");

        // Sign-up confirmation (GoTrue configured to confirm by email).
        await using (var tab = await SupabaseJsAppTab.OpenAsync(fixture.Browser, Origin))
        {
            var signUp = await tab.EvaluateAsync(
                "([email, password]) => client.auth.signUp({ email, password, options: { emailRedirectTo: location.origin + '/app/landed' } }).then(r => ({ error: r.error?.message ?? null, session: r.data.session }))",
                new[] { email, Password });
            Assert.Equal(JsonValueKind.Null, signUp.GetProperty("error").ValueKind);
            Assert.Equal(JsonValueKind.Null, signUp.GetProperty("session").ValueKind);
            var landed = await tab.OpenLinkAsync(await LatestLinkAsync(email, "signup"), "**/app/landed**");
            await AssertSignedInWithPlaceholdersOnlyAsync(tab, landed, email, expectedType: "signup");
        }

        // Magic link (signInWithOtp) for the now confirmed user, in a fresh browser profile.
        await using (var tab = await SupabaseJsAppTab.OpenAsync(fixture.Browser, Origin))
        {
            var sent = await tab.EvaluateAsync(
                "email => client.auth.signInWithOtp({ email, options: { emailRedirectTo: location.origin + '/app/landed' } }).then(r => r.error?.message ?? null)", email);
            Assert.Equal(JsonValueKind.Null, sent.ValueKind);
            var landed = await tab.OpenLinkAsync(await LatestLinkAsync(email, "magiclink"), "**/app/landed**");
            await AssertSignedInWithPlaceholdersOnlyAsync(tab, landed, email, expectedType: "magiclink");
        }

        // Password recovery: supabase-js reports PASSWORD_RECOVERY and can set the new password through the gateway.
        await using (var tab = await SupabaseJsAppTab.OpenAsync(fixture.Browser, Origin))
        {
            var sent = await tab.EvaluateAsync(
                "email => client.auth.resetPasswordForEmail(email, { redirectTo: location.origin + '/app/landed' }).then(r => r.error?.message ?? null)", email);
            Assert.Equal(JsonValueKind.Null, sent.ValueKind);
            var landed = await tab.OpenLinkAsync(await LatestLinkAsync(email, "recovery"), "**/app/landed**");
            await AssertSignedInWithPlaceholdersOnlyAsync(tab, landed, email, expectedType: "recovery");
            // auth-js announces the recovery right after initialising, as it does for GoTrue's own implicit redirect.
            await tab.Page.WaitForFunctionAsync("() => window.events.some(e => e.event === 'PASSWORD_RECOVERY')", null, new() { Timeout = 10_000 });
            var update = await tab.EvaluateAsync("() => client.auth.updateUser({ password: 'a-brand-new-password' }).then(r => r.error?.message ?? null)");
            Assert.Equal(JsonValueKind.Null, update.ValueKind);
        }

        // The link parameters GoTrue mailed point at the gateway callback, never at the app with implicit tokens.
        var mails = await Stack.EmulatorHttp.GetFromJsonAsync<JsonArray>("/__emulator/outbox?email=" + Uri.EscapeDataString(email));
        Assert.All(mails!, m => Assert.StartsWith(Origin + "/edge/v1/auth/callback?flow=", (string)m!["redirectTo"]!, StringComparison.Ordinal));
        Assert.All(mails!, m => Assert.StartsWith("pkce_", (string)m!["tokenHash"]!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ALinkOpenedInAnotherBrowserSignsNobodyIn()
    {
        var email = NewEmail("elsewhere");
        await using var requester = await SupabaseJsAppTab.OpenAsync(fixture.Browser, Origin);
        var sent = await requester.EvaluateAsync(
            "email => client.auth.signInWithOtp({ email, options: { emailRedirectTo: location.origin + '/app/landed' } }).then(r => r.error?.message ?? null)", email);
        Assert.Equal(JsonValueKind.Null, sent.ValueKind);
        var link = await LatestLinkAsync(email, "signup");

        await using var other = await SupabaseJsAppTab.OpenAsync(fixture.Browser, Origin);
        await other.Page.GotoAsync(link);
        await other.Page.WaitForURLAsync(u => u.Contains("error_code=flow_state_not_found", StringComparison.Ordinal), new() { Timeout = 30_000 });
        Assert.DoesNotContain(await other.CookiesAsync(), c => c.Name == "sb-session");
        Assert.Empty(other.Seen.SelectMany(SupabaseJsAppTab.RealTokensIn));
        output.WriteLine("link opened in another profile: " + other.Page.Url);
    }

    [Fact]
    public async Task ClientInitiatedPkceStillExchangesThroughTheInterception()
    {
        var email = NewEmail("client-pkce");
        await using var tab = await SupabaseJsAppTab.OpenAsync(fixture.Browser, Origin, flowType: "pkce");
        var landed = await tab.NavigateThroughAsync(
            "email => { client.auth.signInWithOAuth({ provider: 'emulator', options: { redirectTo: location.origin + '/app/landed', queryParams: { login_hint: email } } }); }",
            email, "**/app/landed**");

        // GoTrue sent the code straight to the app (the gateway did not take the flow over), and supabase-js exchanged it.
        Assert.StartsWith("?code=", landed.GetProperty("landedSearch").GetString());
        Assert.DoesNotContain(tab.Seen, u => u.Contains("/edge/v1/auth/callback", StringComparison.Ordinal));
        Assert.True(landed.GetProperty("error").ValueKind == JsonValueKind.Null, landed.ToString());
        var session = landed.GetProperty("session");
        Assert.True(session.ValueKind == JsonValueKind.Object, landed.ToString());
        Assert.Equal(email, session.GetProperty("user").GetProperty("email").GetString());
        Assert.StartsWith("gw_", session.GetProperty("refresh_token").GetString());
        Assert.Empty(tab.Seen.SelectMany(SupabaseJsAppTab.RealTokensIn));
        Assert.Empty(SupabaseJsAppTab.RealTokensIn(await tab.StorageDumpAsync()));
    }

    private async Task AssertSignedInWithPlaceholdersOnlyAsync(SupabaseJsAppTab tab, JsonElement landed, string email, string? expectedType = null)
    {
        output.WriteLine(landed.ToString());
        Assert.True(landed.GetProperty("error").ValueKind == JsonValueKind.Null, landed.ToString());
        var hash = landed.GetProperty("landedHash").GetString()!;
        Assert.Contains("access_token=", hash);
        if (expectedType is not null)
        {
            Assert.Contains("type=" + expectedType, hash);
        }
        var session = landed.GetProperty("session");
        Assert.True(session.ValueKind == JsonValueKind.Object, landed.ToString());
        Assert.Equal(email, session.GetProperty("user").GetProperty("email").GetString());
        Assert.StartsWith("gw_", session.GetProperty("refresh_token").GetString());

        // No credential Supabase accepts anywhere the browser had something.
        Assert.Empty(SupabaseJsAppTab.RealTokensIn(hash));
        Assert.Empty(tab.Seen.SelectMany(SupabaseJsAppTab.RealTokensIn));
        Assert.Empty(SupabaseJsAppTab.RealTokensIn(await tab.StorageDumpAsync()));
        Assert.Empty(SupabaseJsAppTab.RealTokensIn(landed.GetProperty("events").ToString()));

        // The session is the gateway's cookie session: supabase-js's getUser and the edge endpoint both see the user.
        var cookies = await tab.CookiesAsync();
        Assert.Contains(cookies, c => c.Name == "sb-session" && c.HttpOnly);
        Assert.DoesNotContain(cookies, c => c.Name.StartsWith("sb-flow-", StringComparison.Ordinal)); // the flow cookie was spent
        var user = await tab.EvaluateAsync("() => client.auth.getUser().then(r => r.data.user?.email ?? r.error?.message)");
        Assert.Equal(email, user.GetString());
        var edge = await tab.EvaluateAsync("() => fetch('/edge/v1/session').then(async r => ({ status: r.status, email: r.ok ? (await r.json()).user?.email : null }))");
        Assert.Equal(200, edge.GetProperty("status").GetInt32());
        Assert.Equal(email, edge.GetProperty("email").GetString());
    }

    private async Task<string> LatestLinkAsync(string email, string type)
    {
        var mails = await Stack.EmulatorHttp.GetFromJsonAsync<JsonArray>("/__emulator/outbox?email=" + Uri.EscapeDataString(email));
        var mail = mails!.LastOrDefault(m => (string?)m!["type"] == type);
        Assert.True(mail is not null, $"no {type} mail for {email}: {mails!.ToJsonString()}");
        return (string)mail!["link"]!;
    }

    private static string NewEmail(string what) => $"{what}-{Guid.NewGuid():N}@example.com";
}
