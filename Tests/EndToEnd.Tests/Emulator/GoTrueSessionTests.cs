using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TestSupport;

namespace EndToEnd.Tests.Emulator;

/// <summary>The GoTrue part of the emulator issues sessions as GoTrue does (docs/supabase-contract.md §1.2, §1.4, §1.5, §2.1).</summary>
[Collection(EmulatorCollection.Name)]
public sealed class GoTrueSessionTests(EmulatorFixture emulator)
{
    private EmulatorClient Client => emulator.Client;

    [Fact]
    public async Task Password_sign_in_returns_gotrue_session_shape_and_claims()
    {
        var email = EmulatorClient.NewEmail("shape");
        await Client.SignUpAsync(email);

        var session = await Client.SignInAsync(email);

        var body = session.Body;
        Assert.Equal("bearer", (string?)body["token_type"]);
        Assert.Matches("^[a-z0-9]{12}$", session.RefreshToken);
        Assert.InRange((long)body["expires_in"]!, 3590, 3600);
        Assert.Equal(email, (string?)body["user"]!["email"]);
        Assert.Equal("email", (string?)body["user"]!["app_metadata"]!["provider"]);
        Assert.Single(body["user"]!["identities"]!.AsArray());

        Assert.False(EmulatorClient.Header(session.AccessToken).ContainsKey("kid"));
        var claims = session.Claims;
        Assert.Equal(
            new[] { "aal", "amr", "app_metadata", "aud", "email", "exp", "iat", "is_anonymous", "iss", "phone", "role", "session_id", "sub", "user_metadata" },
            claims.Select(c => c.Key).Order(StringComparer.Ordinal));
        Assert.Equal("authenticated", claims["aud"]!.GetValue<string>()); // a string, not an array
        Assert.Equal("authenticated", (string?)claims["role"]);
        Assert.Equal((long)body["expires_at"]!, (long)claims["exp"]!);
        Assert.Equal(session.UserId, (string?)claims["sub"]);
        Assert.Equal("", (string?)claims["phone"]);
        Assert.False((bool)claims["is_anonymous"]!);
        Assert.True(Guid.TryParse((string?)claims["session_id"], out _));
        Assert.Equal("password", (string?)claims["amr"]![0]!["method"]);
        Assert.Equal(emulator.Url.ToString().TrimEnd('/') + "/auth/v1", (string?)claims["iss"]);

        // Signed with the CLI's project secret, so PostgREST and a gateway holding the same secret accept it.
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(session.AccessToken, new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(LocalSupabaseKeys.JwtSecret)),
            ValidAudience = "authenticated",
            ValidIssuer = (string?)claims["iss"],
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
    }

    [Fact]
    public async Task Refresh_rotates_replays_the_parent_and_refuses_old_tokens_after_the_reuse_interval()
    {
        var first = await Client.SignUpAsync();
        var sessionId = (string)first.Claims["session_id"]!;

        var second = await RefreshAsync(first.RefreshToken);
        Assert.NotEqual(first.RefreshToken, second.RefreshToken);
        Assert.Matches("^[a-z0-9]{12}$", second.RefreshToken);
        Assert.Equal(sessionId, (string?)second.Claims["session_id"]);
        Assert.Equal("password", (string?)second.Claims["amr"]![0]!["method"]); // refresh keeps the sign-in method

        // The client lost the response: replaying the parent hands back the active token, no new rotation.
        var replay = await RefreshAsync(first.RefreshToken);
        Assert.Equal(second.RefreshToken, replay.RefreshToken);

        var third = await RefreshAsync(second.RefreshToken);
        await Task.Delay(TimeSpan.FromSeconds(EmulatorFixture.ReuseIntervalSeconds + 0.5));
        using (var reused = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", new { refresh_token = first.RefreshToken }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
            Assert.Equal("refresh_token_already_used", (string?)(await EmulatorClient.ReadObjectAsync(reused))["error_code"]);
        }
        // Reuse revoked the whole family: the newest token is dead too.
        using (var family = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", new { refresh_token = third.RefreshToken }))
        {
            Assert.Equal("refresh_token_already_used", (string?)(await EmulatorClient.ReadObjectAsync(family))["error_code"]);
        }
        using (var unknown = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", new { refresh_token = "zzzzzzzzzzzz" }))
        {
            Assert.Equal("refresh_token_not_found", (string?)(await EmulatorClient.ReadObjectAsync(unknown))["error_code"]);
        }

        var spends = await Client.Http.GetFromJsonAsync<JsonObject>($"/__emulator/refresh-spends?session_id={sessionId}");
        Assert.Equal(3, (int)spends!["refreshes"]!);
        Assert.Equal(2, (int)spends["rotations"]!);
        Assert.Equal(2, (int)spends["rejected"]!);
    }

    [Fact]
    public async Task Sign_up_with_autoconfirm_signs_in_and_refuses_duplicates_and_weak_passwords()
    {
        var email = EmulatorClient.NewEmail("signup");
        var session = await Client.SignUpAsync(email);
        Assert.False(string.IsNullOrEmpty(session.AccessToken));
        Assert.NotNull(session.Body["user"]!["email_confirmed_at"]);

        using var duplicate = await Client.SendAsync(HttpMethod.Post, "/auth/v1/signup", new { email, password = "another-password" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, duplicate.StatusCode);
        Assert.Equal("user_already_exists", (string?)(await EmulatorClient.ReadObjectAsync(duplicate))["error_code"]);

        using var weak = await Client.SendAsync(HttpMethod.Post, "/auth/v1/signup", new { email = EmulatorClient.NewEmail("weak"), password = "12345" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, weak.StatusCode);
        var weakBody = await EmulatorClient.ReadObjectAsync(weak);
        Assert.Equal("weak_password", (string?)weakBody["error_code"]);
        Assert.Equal("length", (string?)weakBody["weak_password"]!["reasons"]![0]);
    }

    [Fact]
    public async Task Errors_use_the_versioned_shape_only_when_the_request_asks_for_it()
    {
        var wrong = new { email = EmulatorClient.NewEmail("nobody"), password = "wrong-password" };

        using var legacy = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", wrong);
        Assert.Equal(HttpStatusCode.BadRequest, legacy.StatusCode);
        var legacyBody = await EmulatorClient.ReadObjectAsync(legacy);
        Assert.Equal(400, (int)legacyBody["code"]!);
        Assert.Equal("invalid_credentials", (string?)legacyBody["error_code"]);
        Assert.Equal("Invalid login credentials", (string?)legacyBody["msg"]);
        Assert.False(legacy.Headers.Contains("X-Supabase-Api-Version"));
        Assert.Equal("invalid_credentials", legacy.Headers.GetValues("x-sb-error-code").Single());

        using var versioned = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", wrong,
            headers: new Dictionary<string, string> { ["X-Supabase-Api-Version"] = "2024-01-01" });
        var versionedBody = await EmulatorClient.ReadObjectAsync(versioned);
        Assert.Equal("invalid_credentials", (string?)versionedBody["code"]);
        Assert.Equal("Invalid login credentials", (string?)versionedBody["message"]);
        Assert.False(versionedBody.ContainsKey("msg"));
        Assert.Equal("2024-01-01", versioned.Headers.GetValues("X-Supabase-Api-Version").Single());

        using var grant = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=magic", new { });
        Assert.Equal("unsupported_grant_type", (string?)(await EmulatorClient.ReadObjectAsync(grant))["msg"]);
        using var badJson = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", "{not json");
        Assert.Equal("bad_json", (string?)(await EmulatorClient.ReadObjectAsync(badJson))["error_code"]);
    }

    [Fact]
    public async Task Seeded_demo_users_can_sign_in()
    {
        var alice = await Client.SignInAsync("alice@emulator.test", "password123");
        Assert.Equal("a11ce000-0000-4000-8000-000000000001", alice.UserId);
        Assert.Equal("Alice", (string?)alice.Claims["user_metadata"]!["name"]);
    }

    private async Task<EmulatorSession> RefreshAsync(string refreshToken)
    {
        using var response = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", new { refresh_token = refreshToken });
        return new EmulatorSession(await EmulatorClient.ReadObjectAsync(response, expectSuccess: true));
    }
}
