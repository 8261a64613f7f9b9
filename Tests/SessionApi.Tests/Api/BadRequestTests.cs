using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using SessionApi.Tests.Sessions;
using SessionApi.Tests.Support;

namespace SessionApi.Tests.Api;

/// <summary>Unauthenticated callers get 401, bad input 400, unknown sessions 404: always problem details, never a stack trace.</summary>
public sealed class BadRequestTests(SharedRedis shared) : IClassFixture<SharedRedis>, IAsyncLifetime
{
    private readonly SessionTestHost _host = new(shared.Server, new ManualTime());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string RandomCookie() =>
        Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)) + "." + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public static TheoryData<string, string, string?, int> Requests
    {
        get
        {
            var user = Guid.NewGuid();
            var unknownCookie = RandomCookie();
            var wrongCharset = unknownCookie[..10] + "+" + unknownCookie[11..];
            var noSub = SessionTestHost.SignHs256(new JsonObject { ["aud"] = "authenticated", ["role"] = "authenticated" });
            return new()
            {
                // method, path, JSON body, expected status
                { "POST", "/internal/v1/sessions/resolve", """{"cookie":"not-a-cookie"}""", 400 },
                { "POST", "/internal/v1/sessions/resolve", $$"""{"cookie":"{{new string('a', 300)}}"}""", 400 },
                { "POST", "/internal/v1/sessions/resolve", $$"""{"cookie":"{{wrongCharset}}"}""", 400 },
                { "POST", "/internal/v1/sessions/resolve", """{"client":null}""", 400 },
                { "POST", "/internal/v1/sessions/resolve", """{not json""", 400 },
                { "POST", "/internal/v1/sessions/resolve", $$"""{"cookie":"{{unknownCookie}}"}""", 404 },
                { "POST", "/internal/v1/sessions", """{"client":{"ip":"1.2.3.4"}}""", 400 },
                { "POST", "/internal/v1/sessions", """{"goTrue":{"access_token":"garbage","refresh_token":"abcdefghijkl","expires_in":3600,"expires_at":0,"user":{}},"client":{}}""", 400 },
                { "POST", "/internal/v1/sessions", $$$"""{"goTrue":{"access_token":"{{{noSub}}}","refresh_token":"abcdefghijkl","expires_in":3600,"expires_at":0,"user":{}},"client":{}}""", 400 },
                { "POST", "/internal/v1/sessions", """[1,2,3]""", 400 },
                { "POST", "/internal/v1/sessions/revoke", $$"""{"cookie":"{{unknownCookie}}","scope":"current"}""", 404 },
                { "POST", "/internal/v1/sessions/revoke", """{"cookie":"bad","scope":"current"}""", 400 },
                { "GET", "/internal/v1/users/not-a-uuid/sessions", null, 400 },
                { "PUT", $"/internal/v1/users/{user}", """[]""", 400 },
                { "PUT", "/internal/v1/users/not-a-uuid", """{"id":"not-a-uuid"}""", 400 },
                { "DELETE", "/internal/v1/users/not-a-uuid/sessions", null, 400 },
                { "POST", "/internal/v1/rate-limit", """{"key":"","limit":0,"windowSeconds":0}""", 400 },
            };
        }
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task BadInputGetsAProblemWithoutAStackTrace(string method, string path, string? body, int expected)
    {
        var response = await _host.Caller().SendAsync(Request(method, path, body));
        await AssertProblemAsync(response, expected);
    }

    [Fact]
    public async Task RevokeScopesAndIdsAreValidatedAgainstALiveSession()
    {
        var http = _host.Caller();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "scopes@example.com"));
        await AssertProblemAsync(await http.RevokeAsync(created.Cookie, "everything"), 400);
        await AssertProblemAsync(await http.RevokeAsync(created.Cookie, "one", "not-a-uuid"), 400);
        await AssertProblemAsync(await http.RevokeAsync(created.Cookie, "one", Guid.NewGuid().ToString()), 404);
        await http.ResolveLiveAsync(created.Cookie); // none of that touched the session
    }

    [Fact]
    public async Task ACookieWithTheRightIdButAWrongSecretIsUnknown()
    {
        var http = _host.Caller();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "secret@example.com"));
        var forged = created.Cookie.Split('.')[0] + "." + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        await AssertProblemAsync(await http.ResolveAsync(forged), 404);
        await AssertProblemAsync(await http.RevokeAsync(forged, "all"), 404);
        await http.ResolveLiveAsync(created.Cookie);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key-wrong-key-wrong-key-wrong-key")]
    [InlineData("Basic " + SessionTestHost.CallerKey)]
    [InlineData("Bearer " + SessionTestHost.CallerKey + "x")]
    public async Task CallersWithoutTheKeyGet401OnEveryInternalEndpoint(string? authorization)
    {
        var client = _host.CreateClient();
        foreach (var (method, path, body) in new[]
        {
            ("POST", "/internal/v1/sessions", "{}"), ("POST", "/internal/v1/sessions/resolve", "{}"), ("POST", "/internal/v1/sessions/revoke", "{}"),
            ("GET", $"/internal/v1/users/{Guid.NewGuid()}/sessions", null), ("PUT", $"/internal/v1/users/{Guid.NewGuid()}", "{}"),
            ("DELETE", $"/internal/v1/users/{Guid.NewGuid()}/sessions", null), ("GET", "/internal/v1/events", null),
            ("POST", "/internal/v1/rate-limit", "{}"),
        })
        {
            var request = Request(method, path, body);
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
            await AssertProblemAsync(await client.SendAsync(request), 401);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/.well-known/jwks.json")).StatusCode); // public by design
    }

    private static HttpRequestMessage Request(string method, string path, string? body) => new(new HttpMethod(method), path)
    {
        Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"),
    };

    private static async Task AssertProblemAsync(HttpResponseMessage response, int expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {expected}, got {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"\"status\":{expected}", text);
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain("Exception", text);
    }
}
