using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using TestSupport;

namespace EndToEnd.Tests.Emulator;

/// <summary>
/// Corners of the contract the main emulator tests do not reach: PostgREST's role and SQL error mapping (docs/supabase-contract.md §3.2) and
/// GoTrue's admin-only and banned-user rules (docs/supabase-contract.md §1.7). Bad input must give the documented 4xx, never a 500.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class EmulatorEdgeCaseTests(EmulatorFixture emulator)
{
    private EmulatorClient Client => emulator.Client;

    [Fact]
    public async Task Role_claims_the_api_may_not_use_are_refused_like_postgrest()
    {
        foreach (var (role, status, code) in new[]
        {
            ("no_such_role", HttpStatusCode.Unauthorized, "22023"),
            // Exists, but PostgREST's authenticator cannot switch to it.
            ("postgres", HttpStatusCode.Forbidden, "42501"),
        })
        {
            var token = EmulatorClient.Sign(new JsonObject { ["role"] = role, ["exp"] = EmulatorClient.Now + 60 });
            using var response = await Client.SendAsync(HttpMethod.Get, "/rest/v1/posts", bearer: token);
            await AssertPostgRestErrorAsync(response, status, code);
        }
    }

    [Fact]
    public async Task Bad_values_and_bodies_get_postgrest_400s_not_500s()
    {
        var user = await Client.SignUpAsync();
        using (var notANumber = await Client.SendAsync(HttpMethod.Get, "/rest/v1/posts?id=eq.not-a-number"))
        {
            await AssertPostgRestErrorAsync(notANumber, HttpStatusCode.BadRequest, "22P02");
        }
        using (var missingTitle = await Client.SendAsync(HttpMethod.Post, "/rest/v1/posts", new { body = "no title" }, bearer: user.AccessToken))
        {
            await AssertPostgRestErrorAsync(missingTitle, HttpStatusCode.BadRequest, "23502");
        }
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Patch })
        {
            using var badJson = await Client.SendAsync(method, "/rest/v1/notes?id=eq.1", "{oops", bearer: user.AccessToken);
            await AssertPostgRestErrorAsync(badJson, HttpStatusCode.BadRequest, "PGRST102");
        }
        // A neighbour's row is invisible to PATCH as well: nothing is updated, nothing is revealed.
        var owner = await Client.SignUpAsync();
        using (var insert = await Client.SendAsync(HttpMethod.Post, "/rest/v1/notes", new { body = "mine" }, bearer: owner.AccessToken,
            headers: new Dictionary<string, string> { ["Prefer"] = "return=representation" }))
        {
            var id = (long)(await EmulatorClient.ReadArrayAsync(insert))[0]!["id"]!;
            using var patch = await Client.SendAsync(HttpMethod.Patch, $"/rest/v1/notes?id=eq.{id}", new { body = "theirs" }, bearer: user.AccessToken,
                headers: new Dictionary<string, string> { ["Prefer"] = "return=representation" });
            Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
            Assert.Empty(await EmulatorClient.ReadArrayAsync(patch));
            using var read = await Client.SendAsync(HttpMethod.Get, $"/rest/v1/notes?id=eq.{id}&select=body", bearer: owner.AccessToken);
            Assert.Equal("mine", (string?)(await EmulatorClient.ReadArrayAsync(read))[0]!["body"]);
        }
    }

    [Fact]
    public async Task App_metadata_is_admin_only_and_a_banned_users_valid_token_is_refused()
    {
        var session = await Client.SignUpAsync();
        using (var escalate = await Client.SendAsync(HttpMethod.Put, "/auth/v1/user", new { app_metadata = new { role = "admin" } }, bearer: session.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, escalate.StatusCode);
            Assert.Equal("not_admin", (string?)(await EmulatorClient.ReadObjectAsync(escalate))["error_code"]);
        }

        await using (var db = new NpgsqlConnection(emulator.Postgres.ConnectionStringFor("emulator_tests") /* the fixture's database */))
        {
            await db.OpenAsync();
            await using var ban = new NpgsqlCommand("update auth.users set banned_until = now() + interval '1 day' where id = $1", db)
            {
                Parameters = { new() { Value = Guid.Parse(session.UserId) } },
            };
            Assert.Equal(1, await ban.ExecuteNonQueryAsync());
        }

        using var user = await Client.SendAsync(HttpMethod.Get, "/auth/v1/user", bearer: session.AccessToken);
        Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
        Assert.Equal("user_banned", (string?)(await EmulatorClient.ReadObjectAsync(user))["error_code"]);
        using var refresh = await Client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", new { refresh_token = session.RefreshToken });
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
        Assert.Equal("user_banned", (string?)(await EmulatorClient.ReadObjectAsync(refresh))["error_code"]);
    }

    private static async Task AssertPostgRestErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await EmulatorClient.ReadObjectAsync(response);
        Assert.True(response.StatusCode == status, $"expected {(int)status} {code}, got {(int)response.StatusCode} {body.ToJsonString()}");
        Assert.Equal(code, (string?)body["code"]);
        Assert.All(["details", "hint", "message"], key => Assert.True(body.ContainsKey(key), $"error lacks {key}: {body.ToJsonString()}"));
    }
}
