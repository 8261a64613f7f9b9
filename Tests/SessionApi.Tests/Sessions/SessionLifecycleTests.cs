using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Contracts;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using RedisType = StackExchange.Redis.RedisType;
using SessionApi.Tests.Support;
using TestSupport;
using Xunit.Abstractions;

namespace SessionApi.Tests.Sessions;

public sealed class SessionLifecycleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task MintedHs256TokensCarryGoTruesClaimsAndNoKid()
    {
        using var host = new SessionTestHost(_redis, new ManualTime());
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var goTrue = SessionTestHost.GoTrueSession(userId, "ann@example.com", extraClaims: new JsonObject { ["tenant"] = "acme" });
        var created = await CreateAsync(http, goTrue);

        var handler = new JsonWebTokenHandler();
        var token = new JsonWebToken(created.Token.AccessToken);
        Assert.False(token.TryGetHeaderValue<string>("kid", out _), "HS256 tokens must not carry a kid (the CLI's PostgREST rejects unknown kids)");
        var result = await handler.ValidateTokenAsync(created.Token.AccessToken, new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(LocalSupabaseKeys.JwtSecret)),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateIssuer = false,
            ValidAudience = "authenticated",
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        AssertGoTrueClaims(token, goTrue, userId, lifetimeSeconds: 300);
        Assert.Equal("acme", token.GetPayloadValue<string>("tenant")); // custom claims RLS may rely on survive
    }

    [Fact]
    public async Task MintedEs256TokensCarryTheKidAndVerifyWithThePublishedJwks()
    {
        using var signingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var host = new SessionTestHost(_redis, new ManualTime(), new()
        {
            ["Jwt:Secret"] = null,
            ["Jwt:SigningKeyPem"] = signingKey.ExportPkcs8PrivateKeyPem(),
            ["Jwt:KeyId"] = "imported-es256",
        });
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var goTrue = SessionTestHost.GoTrueSession(userId, "es@example.com");
        var created = await CreateAsync(http, goTrue);

        var jwks = new JsonWebKeySet(await http.GetStringAsync("/.well-known/jwks.json"));
        var token = new JsonWebToken(created.Token.AccessToken);
        Assert.Equal("imported-es256", token.Kid);
        Assert.Equal("ES256", token.Alg);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(created.Token.AccessToken, new TokenValidationParameters
        {
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidateIssuer = false,
            ValidAudience = "authenticated",
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        AssertGoTrueClaims(token, goTrue, userId, lifetimeSeconds: 300);
        Assert.DoesNotContain(jwks.Keys, k => k.Kty == "oct"); // never a secret in the JWKS
    }

    [Fact]
    public async Task IdleTimeoutAndAbsoluteLifetimeEndSessions()
    {
        var time = new ManualTime();
        using var host = new SessionTestHost(_redis, time);
        var http = host.Caller();
        var created = await CreateAsync(http, SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "idle@example.com"));

        time.Advance(TimeSpan.FromMinutes(25));
        Assert.Equal(HttpStatusCode.OK, (await Resolve(http, created.Cookie)).StatusCode); // touch: idle clock restarts
        time.Advance(TimeSpan.FromMinutes(25));
        Assert.Equal(HttpStatusCode.OK, (await Resolve(http, created.Cookie)).StatusCode);
        time.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(HttpStatusCode.NotFound, (await Resolve(http, created.Cookie)).StatusCode); // idle > 30 min

        var active = await CreateAsync(http, SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "busy@example.com"));
        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromMinutes(20));
            Assert.Equal(HttpStatusCode.OK, (await Resolve(http, active.Cookie)).StatusCode);
        }
        time.Advance(TimeSpan.FromMinutes(20)); // 2 h absolute lifetime reached despite activity
        Assert.Equal(HttpStatusCode.NotFound, (await Resolve(http, active.Cookie)).StatusCode);
    }

    [Fact]
    public async Task RedisHoldsNoRawIdNoCookieSecretAndNoPlaintextRefreshToken()
    {
        var time = new ManualTime();
        await using var supabase = await StubSupabase.StartAsync();
        using var host = new SessionTestHost(_redis, time, new() { ["Supabase:Url"] = supabase.Url, ["Sessions:IdleTimeout"] = "1.00:00:00" });
        var http = host.Caller();
        var cookies = new List<string>();
        var refreshTokens = new List<string>();
        var userId = Guid.NewGuid().ToString();
        for (var i = 0; i < 3; i++)
        {
            refreshTokens.Add($"plaintextrefresh{i}");
            cookies.Add((await http.CreateAsync(SessionTestHost.GoTrueSession(userId, $"u{i}@example.com", refreshTokens[^1]))).Cookie);
        }
        // One session also has its GoTrue session refreshed server-side: the rotated token must be sealed too.
        supabase.OnRefresh = _ => Task.FromResult(Microsoft.AspNetCore.Http.Results.Json(
            SessionTestHost.GoTrueSession(userId, "u0@example.com", "rotatedplaintext", issuedAt: time.GetUtcNow())));
        time.Advance(TimeSpan.FromMinutes(59.5));
        await http.ResolveLiveAsync(cookies[0]);
        Assert.Single(supabase.To("/auth/v1/token"));
        refreshTokens.Add("rotatedplaintext");

        await using var redis = await RedisConnections.AdminAsync(_redis.ConnectionString);
        var db = redis.GetDatabase();
        var readable = new StringBuilder();
        var dumped = new List<byte[]>();
        await foreach (var key in redis.GetServers()[0].KeysAsync(pageSize: 100))
        {
            readable.AppendLine(key);
            var value = await db.KeyTypeAsync(key) switch
            {
                RedisType.String => (await db.StringGetAsync(key)).ToString(),
                RedisType.Set => string.Join("\n", await db.SetMembersAsync(key)),
                RedisType.Hash => string.Join("\n", await db.HashGetAllAsync(key)),
                var other => throw new Xunit.Sdk.XunitException($"unexpected Redis type {other} at {key}"),
            };
            readable.AppendLine(value);
            dumped.Add((await db.KeyDumpAsync(key))!);
        }
        var everything = readable.ToString();
        var raw = Encoding.Latin1.GetString(dumped.SelectMany(d => d).ToArray());
        Assert.Contains("gw:s:", everything);
        foreach (var cookie in cookies)
        {
            var parts = cookie.Split('.');
            foreach (var secret in new[] { parts[0], parts[1], cookie })
            {
                Assert.DoesNotContain(secret, everything);
                Assert.DoesNotContain(secret, raw);
            }
        }
        foreach (var refreshToken in refreshTokens)
        {
            Assert.DoesNotContain(refreshToken, everything);
            Assert.DoesNotContain(refreshToken, raw);
        }
        output.WriteLine($"scanned {dumped.Count} Redis keys ({everything.Length} characters of values, {raw.Length} bytes of DUMP)");
    }

    [Fact]
    public async Task RevocationReachesAnEventSubscriberWellUnderASecond()
    {
        using var host = new SessionTestHost(_redis, new ManualTime());
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var first = await CreateAsync(http, SessionTestHost.GoTrueSession(userId, "rev@example.com"));
        var second = await CreateAsync(http, SessionTestHost.GoTrueSession(userId, "rev@example.com"));

        using var events = host.Caller();
        using var stream = await events.GetStreamAsync("/internal/v1/events");
        using var reader = new StreamReader(stream);
        Assert.Contains("\"hello\"", await ReadEventAsync(reader));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var revoke = await http.PostAsJsonAsync("/internal/v1/sessions/revoke", new RevokeSessionsRequest(first.Cookie, "others"));
        revoke.EnsureSuccessStatusCode();
        var revoked = await ReadEventAsync(reader);
        watch.Stop();
        Assert.Contains("\"revoked\"", revoked);
        Assert.Contains(second.Session.Id, revoked);
        Assert.DoesNotContain(first.Session.Id, revoked);
        Assert.True(watch.ElapsedMilliseconds < 1000, $"{watch.ElapsedMilliseconds} ms");
        output.WriteLine($"revoke → event received in {watch.ElapsedMilliseconds} ms");
        Assert.Equal(HttpStatusCode.NotFound, (await Resolve(http, second.Cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Resolve(http, first.Cookie)).StatusCode);
    }

    [Fact]
    public async Task ListingShowsTheUsersSessionsWithMetadataAndRevokeOneOnlyTouchesYourOwn()
    {
        using var host = new SessionTestHost(_redis, new ManualTime());
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var mine = await CreateAsync(http, SessionTestHost.GoTrueSession(userId, "me@example.com"), new ClientInfo("203.0.113.7", "Firefox/140"));
        var alsoMine = await CreateAsync(http, SessionTestHost.GoTrueSession(userId, "me@example.com"));
        var someoneElse = await CreateAsync(http, SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "them@example.com"));

        var list = await http.GetFromJsonAsync<SessionListResponse>($"/internal/v1/users/{userId}/sessions");
        Assert.Equal(2, list!.Sessions.Count);
        var described = Assert.Single(list.Sessions, s => s.Id == mine.Session.Id);
        Assert.Equal("203.0.113.7", described.Ip);
        Assert.Equal("Firefox/140", described.UserAgent);
        Assert.Equal("aal1", described.Aal);

        var notMine = await http.PostAsJsonAsync("/internal/v1/sessions/revoke", new RevokeSessionsRequest(mine.Cookie, "one", someoneElse.Session.Id));
        Assert.Equal(HttpStatusCode.NotFound, notMine.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Resolve(http, someoneElse.Cookie)).StatusCode);
        var own = await http.PostAsJsonAsync("/internal/v1/sessions/revoke", new RevokeSessionsRequest(mine.Cookie, "one", alsoMine.Session.Id));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Resolve(http, alsoMine.Cookie)).StatusCode);
    }

    [Fact]
    public async Task UserUpdatesReachTheNextMintedToken()
    {
        using var host = new SessionTestHost(_redis, new ManualTime());
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var created = await CreateAsync(http, SessionTestHost.GoTrueSession(userId, "old@example.com"));
        var updated = new JsonObject { ["id"] = userId, ["email"] = "new@example.com", ["phone"] = "", ["role"] = "authenticated",
            ["app_metadata"] = new JsonObject { ["plan"] = "pro" }, ["user_metadata"] = new JsonObject() };
        (await http.PutAsJsonAsync($"/internal/v1/users/{userId}", updated)).EnsureSuccessStatusCode();
        var resolved = await (await Resolve(http, created.Cookie)).Content.ReadFromJsonAsync<ResolvedSession>();
        var token = new JsonWebToken(resolved!.Token.AccessToken);
        Assert.Equal("new@example.com", token.GetPayloadValue<string>("email"));
        Assert.Contains("pro", Base64UrlEncoder.Decode(token.EncodedPayload));
    }

    private static void AssertGoTrueClaims(JsonWebToken token, GoTrueSession goTrue, string userId, int lifetimeSeconds)
    {
        var original = new JsonWebToken(goTrue.AccessToken);
        var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(token.EncodedPayload)).RootElement;
        var originalPayload = JsonDocument.Parse(Base64UrlEncoder.Decode(original.EncodedPayload)).RootElement;
        Assert.Equal(original.GetPayloadValue<string>("iss"), token.GetPayloadValue<string>("iss"));
        Assert.Equal(userId, token.GetPayloadValue<string>("sub"));
        Assert.Equal(JsonValueKind.String, payload.GetProperty("aud").ValueKind); // a string, not an array
        Assert.Equal("authenticated", token.GetPayloadValue<string>("aud"));
        Assert.Equal(lifetimeSeconds, token.GetPayloadValue<long>("exp") - token.GetPayloadValue<long>("iat"));
        Assert.Equal(original.GetPayloadValue<string>("email"), token.GetPayloadValue<string>("email"));
        Assert.Equal("", token.GetPayloadValue<string>("phone"));
        Assert.Equal(originalPayload.GetProperty("app_metadata").GetRawText(), payload.GetProperty("app_metadata").GetRawText());
        Assert.Equal(originalPayload.GetProperty("user_metadata").GetRawText(), payload.GetProperty("user_metadata").GetRawText());
        Assert.Equal("authenticated", token.GetPayloadValue<string>("role"));
        Assert.Equal("aal1", token.GetPayloadValue<string>("aal"));
        Assert.Equal(originalPayload.GetProperty("amr").GetRawText(), payload.GetProperty("amr").GetRawText());
        Assert.Equal(original.GetPayloadValue<string>("session_id"), token.GetPayloadValue<string>("session_id"));
        Assert.False(token.GetPayloadValue<bool>("is_anonymous"));
        Assert.False(token.TryGetPayloadValue<string>("jti", out _));
        Assert.False(token.TryGetPayloadValue<long>("nbf", out _));
    }

    private static async Task<CreateSessionResponse> CreateAsync(HttpClient http, GoTrueSession goTrue, ClientInfo? client = null)
    {
        var response = await http.PostAsJsonAsync("/internal/v1/sessions", new CreateSessionRequest(goTrue, client ?? new ClientInfo("127.0.0.1", "test")));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CreateSessionResponse>())!;
    }

    private static Task<HttpResponseMessage> Resolve(HttpClient http, string cookie) =>
        http.PostAsJsonAsync("/internal/v1/sessions/resolve", new ResolveSessionRequest(cookie, null));

    private static async Task<string> ReadEventAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return line;
            }
        }
        throw new InvalidOperationException("event stream ended");
    }
}
