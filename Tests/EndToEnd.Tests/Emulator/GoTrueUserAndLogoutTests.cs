using System.Net;
using System.Text.Json.Nodes;

namespace EndToEnd.Tests.Emulator;

/// <summary>GET/PUT /user and POST /logout check the JWT and its GoTrue session as GoTrue does (docs/supabase-contract.md §1.6, §1.7).</summary>
[Collection(EmulatorCollection.Name)]
public sealed class GoTrueUserAndLogoutTests(EmulatorFixture emulator)
{
    private EmulatorClient Client => emulator.Client;

    [Fact]
    public async Task Logout_scopes_end_the_right_sessions_and_their_tokens_then_get_session_not_found()
    {
        var email = EmulatorClient.NewEmail("scopes");
        var a = await Client.SignUpAsync(email);
        var b = await Client.SignInAsync(email);
        var c = await Client.SignInAsync(email);
        var bystander = await Client.SignUpAsync();

        Assert.Equal(HttpStatusCode.NoContent, await LogoutAsync(a, "others"));
        Assert.Equal(HttpStatusCode.OK, await UserStatusAsync(a));
        await AssertSessionGoneAsync(b);
        await AssertSessionGoneAsync(c);

        var d = await Client.SignInAsync(email);
        Assert.Equal(HttpStatusCode.NoContent, await LogoutAsync(d, "local"));
        await AssertSessionGoneAsync(d);
        Assert.Equal(HttpStatusCode.OK, await UserStatusAsync(a));

        var e = await Client.SignInAsync(email);
        Assert.Equal(HttpStatusCode.NoContent, await LogoutAsync(e, "global"));
        await AssertSessionGoneAsync(a);
        await AssertSessionGoneAsync(e);
        Assert.Equal(HttpStatusCode.OK, await UserStatusAsync(bystander)); // another user's sessions are untouched

        // The logged-out session's refresh token died with it.
        using var refresh = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", new { refresh_token = a.RefreshToken });
        Assert.Equal("refresh_token_not_found", (string?)(await EmulatorClient.ReadObjectAsync(refresh))["error_code"]);
    }

    [Fact]
    public async Task User_routes_refuse_missing_bad_expired_and_sessionless_tokens()
    {
        var session = await Client.SignUpAsync();

        using (var none = await Client.SendAsync(HttpMethod.Post, "/auth/v1/logout"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal("no_authorization", (string?)(await EmulatorClient.ReadObjectAsync(none))["error_code"]);
        }
        var forged = EmulatorClient.Sign(session.Claims, secret: "not-the-project-secret-but-long-enough-to-sign");
        var expiredClaims = session.Claims.DeepClone().AsObject();
        expiredClaims["exp"] = EmulatorClient.Now - 5;
        foreach (var token in new[] { forged, EmulatorClient.Sign(expiredClaims), "not-a-jwt" })
        {
            using var response = await Client.SendAsync(HttpMethod.Get, "/auth/v1/user", bearer: token);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("bad_jwt", (string?)(await EmulatorClient.ReadObjectAsync(response))["error_code"]);
        }
        // The anon key is a valid JWT without a user.
        using (var anon = await Client.SendAsync(HttpMethod.Get, "/auth/v1/user", bearer: TestSupport.LocalSupabaseKeys.AnonKey))
        {
            Assert.Equal(HttpStatusCode.Forbidden, anon.StatusCode);
        }
        // A correctly signed token naming a session GoTrue never issued.
        var otherSession = session.Claims.DeepClone().AsObject();
        otherSession["session_id"] = Guid.NewGuid().ToString();
        using (var sessionless = await Client.SendAsync(HttpMethod.Get, "/auth/v1/user", bearer: EmulatorClient.Sign(otherSession),
            headers: new Dictionary<string, string> { ["X-Supabase-Api-Version"] = "2024-01-01" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, sessionless.StatusCode);
            Assert.Equal("session_not_found", (string?)(await EmulatorClient.ReadObjectAsync(sessionless))["code"]);
        }
        using (var scope = await Client.SendAsync(HttpMethod.Post, "/auth/v1/logout?scope=everything", bearer: session.AccessToken))
        {
            Assert.Equal(HttpStatusCode.BadRequest, scope.StatusCode);
        }
    }

    [Fact]
    public async Task Put_user_merges_metadata_and_the_next_refresh_carries_it()
    {
        var session = await Client.SignUpAsync();
        using var update = await Client.SendAsync(HttpMethod.Put, "/auth/v1/user", new { data = new { display_name = "Ann" } }, bearer: session.AccessToken);
        var user = await EmulatorClient.ReadObjectAsync(update, expectSuccess: true);
        Assert.Equal("Ann", (string?)user["user_metadata"]!["display_name"]);

        using var refresh = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", new { refresh_token = session.RefreshToken });
        var refreshed = new EmulatorSession(await EmulatorClient.ReadObjectAsync(refresh, expectSuccess: true));
        Assert.Equal("Ann", (string?)refreshed.Claims["user_metadata"]!["display_name"]);

        using var admin = await Client.SendAsync(HttpMethod.Put, "/auth/v1/user", new { app_metadata = new { role = "admin" } }, bearer: session.AccessToken);
        Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);
    }

    private async Task<HttpStatusCode> LogoutAsync(EmulatorSession session, string scope)
    {
        using var response = await Client.SendAsync(HttpMethod.Post, $"/auth/v1/logout?scope={scope}", bearer: session.AccessToken);
        return response.StatusCode;
    }

    private async Task<HttpStatusCode> UserStatusAsync(EmulatorSession session)
    {
        using var response = await Client.SendAsync(HttpMethod.Get, "/auth/v1/user", bearer: session.AccessToken);
        return response.StatusCode;
    }

    private async Task AssertSessionGoneAsync(EmulatorSession session)
    {
        using var response = await Client.SendAsync(HttpMethod.Get, "/auth/v1/user", bearer: session.AccessToken);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("session_not_found", (string?)(await EmulatorClient.ReadObjectAsync(response))["error_code"]);
    }
}
