using System.Net;
using System.Text.Json.Nodes;
using TestSupport;

namespace EndToEnd.Tests.Emulator;

/// <summary>
/// The PostgREST part: JWT rules and errors as PostgREST's (docs/supabase-contract.md §3), and RLS really enforced by PostgreSQL
/// with the roles and policies of schema.sql.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class PostgRestTests(EmulatorFixture emulator)
{
    private EmulatorClient Client => emulator.Client;

    [Fact]
    public async Task Rls_lets_each_user_read_only_their_own_notes_while_service_role_sees_all()
    {
        var ann = await Client.SignUpAsync();
        var bob = await Client.SignUpAsync();
        await InsertAsync(ann, "notes", new { body = "ann's secret" });
        await InsertAsync(bob, "notes", new { body = "bob's secret" });

        Assert.Equal(["ann's secret"], await BodiesAsync("/rest/v1/notes?select=body", ann.AccessToken));
        Assert.Equal(["bob's secret"], await BodiesAsync("/rest/v1/notes?select=body", bob.AccessToken));
        // Even asking for Ann's rows by user_id, Bob gets nothing.
        Assert.Empty(await BodiesAsync($"/rest/v1/notes?select=body&user_id=eq.{ann.UserId}", bob.AccessToken));
        var all = await BodiesAsync($"/rest/v1/notes?select=body&user_id=in.({ann.UserId},{bob.UserId})", LocalSupabaseKeys.ServiceRoleKey);
        Assert.Equal(2, all.Length);

        // Without any token the request runs as anon, who has no grant on notes: 401.
        using var anon = await Client.SendAsync(HttpMethod.Get, "/rest/v1/notes", apiKey: null);
        Assert.Equal(HttpStatusCode.Unauthorized, anon.StatusCode);
        Assert.Equal("42501", (string?)(await EmulatorClient.ReadObjectAsync(anon))["code"]);
    }

    [Fact]
    public async Task Writes_follow_the_policies_of_posts()
    {
        var ann = await Client.SignUpAsync();
        var bob = await Client.SignUpAsync();
        var post = (await InsertAsync(ann, "posts", new { title = "Ann's post", body = "hello" }))[0]!;
        Assert.Equal(ann.UserId, (string?)post["user_id"]); // default auth.uid()

        // Everyone reads posts, also anonymously.
        using (var anonRead = await Client.SendAsync(HttpMethod.Get, $"/rest/v1/posts?id=eq.{post["id"]}", apiKey: null))
        {
            Assert.Single(await EmulatorClient.ReadArrayAsync(anonRead));
        }
        // Bob's update matches no row he may change.
        using (var update = await Client.SendAsync(HttpMethod.Patch, $"/rest/v1/posts?id=eq.{post["id"]}", new { title = "hijacked" }, bearer: bob.AccessToken,
            headers: new Dictionary<string, string> { ["Prefer"] = "return=representation" }))
        {
            Assert.Equal(HttpStatusCode.OK, update.StatusCode);
            Assert.Empty(await EmulatorClient.ReadArrayAsync(update));
        }
        // Posting as Ann is a policy violation for Bob: 403 with a JWT.
        using (var forged = await Client.SendAsync(HttpMethod.Post, "/rest/v1/posts", new { title = "as ann", user_id = ann.UserId }, bearer: bob.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
            Assert.Equal("42501", (string?)(await EmulatorClient.ReadObjectAsync(forged))["code"]);
        }
        using (var own = await Client.SendAsync(HttpMethod.Delete, $"/rest/v1/posts?id=eq.{post["id"]}", bearer: ann.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, own.StatusCode);
        }
        using var gone = await Client.SendAsync(HttpMethod.Get, $"/rest/v1/posts?id=eq.{post["id"]}", apiKey: null);
        Assert.Empty(await EmulatorClient.ReadArrayAsync(gone));
    }

    [Fact]
    public async Task Jwt_problems_are_postgrest_401s_with_www_authenticate()
    {
        var session = await Client.SignUpAsync();
        var expired = session.Claims.DeepClone().AsObject();
        expired["exp"] = EmulatorClient.Now - 60;
        var cases = new (string Bearer, string? ApiKey, string Code)[]
        {
            (LocalSupabaseKeys.PublishableKey, LocalSupabaseKeys.AnonKey, "PGRST301"), // a browser's key leaked upstream
            (EmulatorClient.Sign(session.Claims, secret: "some-other-secret-with-at-least-32-chars"), LocalSupabaseKeys.AnonKey, "PGRST301"),
            (EmulatorClient.Sign(session.Claims, kid: "unknown-key"), LocalSupabaseKeys.AnonKey, "PGRST301"),
            (EmulatorClient.Sign(expired), LocalSupabaseKeys.AnonKey, "PGRST303"),
        };
        foreach (var (bearer, apiKey, code) in cases)
        {
            using var response = await Client.SendAsync(HttpMethod.Get, "/rest/v1/posts", bearer: bearer, apiKey: apiKey);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(code, (string?)(await EmulatorClient.ReadObjectAsync(response))["code"]);
            Assert.StartsWith("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        }

        // Within PostgREST's 30 s skew an expired token still works.
        var recent = session.Claims.DeepClone().AsObject();
        recent["exp"] = EmulatorClient.Now - 10;
        using (var skew = await Client.SendAsync(HttpMethod.Get, "/rest/v1/notes", bearer: EmulatorClient.Sign(recent)))
        {
            Assert.Equal(HttpStatusCode.OK, skew.StatusCode);
        }
        // Kong maps the new keys in apikey to the legacy JWTs: publishable = anon, secret = service_role.
        using (var publishable = await Client.SendAsync(HttpMethod.Get, "/rest/v1/posts", apiKey: LocalSupabaseKeys.PublishableKey))
        {
            Assert.Equal(HttpStatusCode.OK, publishable.StatusCode);
        }
        using (var secret = await Client.SendAsync(HttpMethod.Get, "/rest/v1/sessions", apiKey: LocalSupabaseKeys.SecretKey))
        {
            Assert.Equal(HttpStatusCode.OK, secret.StatusCode);
        }
    }

    [Fact]
    public async Task Object_accept_header_returns_one_object_or_406()
    {
        var ann = await Client.SignUpAsync();
        var first = (await InsertAsync(ann, "notes", new { body = "one" }))[0]!;
        await InsertAsync(ann, "notes", new { body = "two" });
        var single = new Dictionary<string, string> { ["Accept"] = "application/vnd.pgrst.object+json" };

        using (var one = await Client.SendAsync(HttpMethod.Get, $"/rest/v1/notes?id=eq.{first["id"]}", bearer: ann.AccessToken, headers: single))
        {
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
            Assert.Equal("one", (string?)(await EmulatorClient.ReadObjectAsync(one))["body"]);
        }
        using var many = await Client.SendAsync(HttpMethod.Get, "/rest/v1/notes", bearer: ann.AccessToken, headers: single);
        Assert.Equal(HttpStatusCode.NotAcceptable, many.StatusCode);
        var error = await EmulatorClient.ReadObjectAsync(many);
        Assert.Equal("PGRST116", (string?)error["code"]);
        Assert.Equal("The result contains 2 rows", (string?)error["details"]);
    }

    [Fact]
    public async Task Query_grammar_counts_orders_limits_and_reports_unknown_tables()
    {
        var ann = await Client.SignUpAsync();
        foreach (var body in new[] { "a", "b", "c" })
        {
            await InsertAsync(ann, "notes", new { body });
        }
        using (var page = await Client.SendAsync(HttpMethod.Get, "/rest/v1/notes?select=text:body&order=body.desc&limit=2&offset=1", bearer: ann.AccessToken,
            headers: new Dictionary<string, string> { ["Prefer"] = "count=exact" }))
        {
            Assert.Equal(HttpStatusCode.PartialContent, page.StatusCode);
            Assert.Equal("1-2/3", page.Content.Headers.TryGetValues("Content-Range", out var range) ? range.Single() : page.Headers.GetValues("Content-Range").Single());
            var rows = await EmulatorClient.ReadArrayAsync(page);
            Assert.Equal(["b", "a"], rows.Select(r => (string)r!["text"]!));
        }
        using (var like = await Client.SendAsync(HttpMethod.Get, "/rest/v1/notes?select=body&body=in.(a,c)&body=not.like.c*", bearer: ann.AccessToken))
        {
            Assert.Equal(["a"], (await EmulatorClient.ReadArrayAsync(like)).Select(r => (string)r!["body"]!));
        }
        using (var missing = await Client.SendAsync(HttpMethod.Get, "/rest/v1/secrets", bearer: ann.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("PGRST205", (string?)(await EmulatorClient.ReadObjectAsync(missing))["code"]);
        }
        using (var column = await Client.SendAsync(HttpMethod.Get, "/rest/v1/notes?select=body;drop table notes", bearer: ann.AccessToken))
        {
            Assert.Equal(HttpStatusCode.BadRequest, column.StatusCode);
            Assert.Equal("42703", (string?)(await EmulatorClient.ReadObjectAsync(column))["code"]);
        }
    }

    [Fact]
    public async Task Service_role_upserts_sessions_and_a_plain_duplicate_insert_is_409()
    {
        var ann = await Client.SignUpAsync();
        var id = Guid.NewGuid();
        var row = new { id, user_id = ann.UserId, expires_at = DateTimeOffset.UtcNow.AddDays(1), ip = "192.0.2.1" };
        var upsert = new Dictionary<string, string> { ["Prefer"] = "resolution=merge-duplicates,return=minimal" };

        using (var first = await Client.SendAsync(HttpMethod.Post, "/rest/v1/sessions", row, bearer: LocalSupabaseKeys.ServiceRoleKey, headers: upsert))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }
        using (var second = await Client.SendAsync(HttpMethod.Post, "/rest/v1/sessions", row with { ip = "192.0.2.2" }, bearer: LocalSupabaseKeys.ServiceRoleKey, headers: upsert))
        {
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        }
        using (var read = await Client.SendAsync(HttpMethod.Get, "/rest/v1/sessions?select=ip", bearer: ann.AccessToken))
        {
            Assert.Equal(["192.0.2.2"], (await EmulatorClient.ReadArrayAsync(read)).Select(r => (string)r!["ip"]!));
        }
        using (var duplicate = await Client.SendAsync(HttpMethod.Post, "/rest/v1/sessions", row, bearer: LocalSupabaseKeys.ServiceRoleKey))
        {
            Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
            Assert.Equal("23505", (string?)(await EmulatorClient.ReadObjectAsync(duplicate))["code"]);
        }
        // Users may read their session rows but never write them.
        using var write = await Client.SendAsync(HttpMethod.Post, "/rest/v1/sessions", row with { id = Guid.NewGuid() }, bearer: ann.AccessToken);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
    }

    private async Task<JsonArray> InsertAsync(EmulatorSession session, string table, object row)
    {
        using var response = await Client.SendAsync(HttpMethod.Post, $"/rest/v1/{table}?select=*", row, bearer: session.AccessToken,
            headers: new Dictionary<string, string> { ["Prefer"] = "return=representation" });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await EmulatorClient.ReadArrayAsync(response);
    }

    private async Task<string[]> BodiesAsync(string path, string bearer)
    {
        using var response = await Client.SendAsync(HttpMethod.Get, path, bearer: bearer);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return [.. (await EmulatorClient.ReadArrayAsync(response)).Select(r => (string)r!["body"]!)];
    }
}
