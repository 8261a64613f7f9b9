using System.Text;
using System.Text.Json;
using Gateway.Contracts;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Proxy.Auth;

namespace Proxy.Tests.Auth;

public sealed class PlaceholderTokenTests
{
    private const string SupabaseSecret = "super-secret-jwt-token-with-at-least-32-characters-long";

    [Fact]
    public async Task PlaceholderLooksLikeAGoTrueSessionButSupabaseCannotVerifyIt()
    {
        var now = DateTimeOffset.UtcNow;
        var user = JsonDocument.Parse("""{"id":"0b0e6a3c-0000-4000-8000-000000000001","email":"ann@example.com","phone":"","role":"authenticated","is_anonymous":false}""").RootElement;
        var view = new SessionView("5d7c0000-0000-4000-8000-000000000002", "0b0e6a3c-0000-4000-8000-000000000001", "gotrue-session", now, now, now.AddDays(1), "aal1",
            JsonDocument.Parse("""[{"method":"password","timestamp":1}]""").RootElement, "127.0.0.1", "ua", user);
        var body = new PlaceholderTokens().SessionBody(new ResolvedSession(view, new MintedToken("real.minted.jwt", now.AddMinutes(5), "assertion")), now);

        // What auth-js needs (docs/supabase-contract.md §6.3, §6.4): all three truthy, expires_in beyond its 90 s refresh margin.
        Assert.Equal("bearer", body["token_type"]!.GetValue<string>());
        Assert.True(body["expires_in"]!.GetValue<long>() > 90);
        Assert.Equal(now.ToUnixTimeSeconds() + body["expires_in"]!.GetValue<long>(), body["expires_at"]!.GetValue<long>());
        var refresh = body["refresh_token"]!.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(refresh));
        Assert.False(refresh.StartsWith("sb_", StringComparison.Ordinal));
        var access = body["access_token"]!.GetValue<string>();
        Assert.Equal(3, access.Split('.').Length);
        Assert.DoesNotContain("real.minted.jwt", body.ToJsonString()); // the real token never goes to the browser

        var token = new JsonWebToken(access);
        Assert.Equal("0b0e6a3c-0000-4000-8000-000000000001", token.Subject);
        Assert.Equal("aal1", token.GetPayloadValue<string>("aal"));
        Assert.Equal(view.Id, token.GetPayloadValue<string>("session_id"));
        Assert.Equal("ann@example.com", token.GetPayloadValue<string>("email"));

        var check = await new JsonWebTokenHandler().ValidateTokenAsync(access, new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SupabaseSecret)),
            ValidateIssuer = false,
            ValidateAudience = false,
        });
        Assert.False(check.IsValid); // signed with a key only this Proxy process knows
    }
}
