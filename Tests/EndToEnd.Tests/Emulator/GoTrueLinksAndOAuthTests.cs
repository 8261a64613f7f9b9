using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;

namespace EndToEnd.Tests.Emulator;

/// <summary>Email OTPs and links (docs/supabase-contract.md §1.10) and OAuth with PKCE against the fake provider (§1.9).</summary>
[Collection(EmulatorCollection.Name)]
public sealed class GoTrueLinksAndOAuthTests(EmulatorFixture emulator)
{
    private EmulatorClient Client => emulator.Client;

    [Fact]
    public async Task Email_otp_signs_in_once_and_creates_the_user()
    {
        var email = EmulatorClient.NewEmail("otp");
        using (var otp = await Client.SendAsync(HttpMethod.Post, "/auth/v1/otp", new { email, create_user = true }))
        {
            Assert.Equal(HttpStatusCode.OK, otp.StatusCode);
        }
        var mail = Assert.Single(await Client.OutboxAsync(email));
        var code = (string)mail!["otp"]!;
        Assert.Matches("^[0-9]{6}$", code);

        using var verify = await Client.SendAsync(HttpMethod.Post, "/auth/v1/verify", new { type = "email", email, token = code });
        var session = new EmulatorSession(await EmulatorClient.ReadObjectAsync(verify, expectSuccess: true));
        Assert.Equal(email, (string?)session.Claims["email"]);
        Assert.NotNull(session.Body["user"]!["email_confirmed_at"]);

        using var again = await Client.SendAsync(HttpMethod.Post, "/auth/v1/verify", new { type = "email", email, token = code });
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        Assert.Equal("otp_expired", (string?)(await EmulatorClient.ReadObjectAsync(again))["error_code"]);

        using var unknown = await Client.SendAsync(HttpMethod.Post, "/auth/v1/otp", new { email = EmulatorClient.NewEmail("nobody"), create_user = false });
        Assert.Equal("otp_disabled", (string?)(await EmulatorClient.ReadObjectAsync(unknown))["error_code"]);
    }

    [Fact]
    public async Task Magic_link_verifies_with_303_and_tokens_in_the_fragment_and_refuses_foreign_redirects()
    {
        var email = EmulatorClient.NewEmail("link");
        await Client.SignUpAsync(email);
        using (await Client.SendAsync(HttpMethod.Post, "/auth/v1/magiclink?redirect_to=" + Uri.EscapeDataString("http://evil.example/steal"), new { email }))
        {
        }
        var mail = (await Client.OutboxAsync(email)).Last()!;
        Assert.Equal(EmulatorFixture.SiteUrl, (string?)mail["redirectTo"]); // not on the allow-list → site URL

        using var response = await Client.Http.GetAsync(new Uri((string)mail["link"]!).PathAndQuery);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.Equal(new Uri(EmulatorFixture.SiteUrl), new Uri(location.Split('#')[0]));
        var fragment = QueryHelpers.ParseQuery(location.Split('#')[1]);
        Assert.Equal("bearer", fragment["token_type"].ToString());
        Assert.Equal("magiclink", fragment["type"].ToString());
        Assert.Equal("magiclink", (string?)EmulatorClient.Payload(fragment["access_token"]!)["amr"]![0]!["method"]);

        using var reused = await Client.Http.GetAsync(new Uri((string)mail["link"]!).PathAndQuery);
        Assert.Contains("error_code=otp_expired", reused.Headers.Location!.ToString());
    }

    [Fact]
    public async Task OAuth_pkce_flow_through_the_fake_provider_ends_in_a_code_exchange()
    {
        var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var email = EmulatorClient.NewEmail("oauth");
        var redirectTo = "http://app.emulator.test/auth/callback?next=%2Fnotes";

        using var authorize = await Client.Http.GetAsync("/auth/v1/authorize?provider=emulator&redirect_to=" + Uri.EscapeDataString(redirectTo) +
            $"&code_challenge={challenge}&code_challenge_method=s256&login_hint={Uri.EscapeDataString(email)}");
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var providerUrl = authorize.Headers.Location!;
        var providerQuery = QueryHelpers.ParseQuery(providerUrl.Query);
        Assert.Equal(emulator.Url.ToString().TrimEnd('/') + "/auth/v1/callback", providerQuery["redirect_uri"].ToString()); // GoTrue's own callback
        Assert.False(providerQuery.ContainsKey("code_challenge"));

        using var consent = await Client.Http.GetAsync(providerUrl.PathAndQuery);
        using var callback = await Client.Http.GetAsync(consent.Headers.Location!.PathAndQuery);
        var back = callback.Headers.Location!.ToString();
        Assert.StartsWith("http://app.emulator.test/auth/callback?next=%2Fnotes&code=", back);
        var code = QueryHelpers.ParseQuery(new Uri(back).Query)["code"].ToString();

        using (var wrong = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=pkce", new { auth_code = code, code_verifier = new string('x', 43) }))
        {
            Assert.Equal("bad_code_verifier", (string?)(await EmulatorClient.ReadObjectAsync(wrong))["error_code"]);
        }
        // A refused verifier spends nothing; but the flow is single-use once exchanged.
        using (var exchange = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=pkce", new { auth_code = code, code_verifier = verifier }))
        {
            var session = new EmulatorSession(await EmulatorClient.ReadObjectAsync(exchange, expectSuccess: true));
            Assert.Equal(email, (string?)session.Claims["email"]);
            Assert.Equal("oauth", (string?)session.Claims["amr"]![0]!["method"]);
            Assert.StartsWith("emulator_provider_token_", (string?)session.Body["provider_token"]);
            Assert.Equal("emulator", (string?)session.Body["user"]!["app_metadata"]!["provider"]);
        }
        using (var replay = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=pkce", new { auth_code = code, code_verifier = verifier }))
        {
            Assert.Equal(HttpStatusCode.NotFound, replay.StatusCode);
            Assert.Equal("flow_state_not_found", (string?)(await EmulatorClient.ReadObjectAsync(replay))["error_code"]);
        }
    }

    [Fact]
    public async Task Id_token_grant_accepts_the_fake_providers_tokens_and_links_to_the_same_user()
    {
        var email = EmulatorClient.NewEmail("oidc");
        var password = await Client.SignUpAsync(email);
        var minted = await Client.Http.PostAsJsonAsync("/__emulator/oauth/id-token", new { email, nonce = "n-0S6_WzA2Mj" });
        var idToken = (string)(await minted.Content.ReadFromJsonAsync<JsonObject>())!["id_token"]!;

        using var signIn = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=id_token", new { provider = "emulator", id_token = idToken, nonce = "n-0S6_WzA2Mj" });
        var session = new EmulatorSession(await EmulatorClient.ReadObjectAsync(signIn, expectSuccess: true));
        Assert.Equal(password.UserId, session.UserId);
        Assert.Equal(2, session.Body["user"]!["identities"]!.AsArray().Count);

        using var badNonce = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=id_token", new { provider = "emulator", id_token = idToken, nonce = "other" });
        Assert.Equal(HttpStatusCode.BadRequest, badNonce.StatusCode);
    }
}
