using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Contracts;

namespace Gateway.Bench.Stack;

/// <summary>A session the SessionApi created: the cookie value the browser would hold and its public id.</summary>
public sealed record BenchSession(string Cookie, string PublicId, string UserId)
{
    public string CookieHeader => "sb-session=" + Cookie;
}

/// <summary>
/// Creates sessions the way the Proxy does after a sign-in — <c>POST /internal/v1/sessions</c> with a GoTrue-shaped
/// session — so the HTTP scenarios need no GoTrue round trip per session.
/// </summary>
public sealed class SessionFactory : IDisposable
{
    private readonly HttpClient _http;

    public SessionFactory(Uri sessionApi, string callerKey)
    {
        _http = new HttpClient { BaseAddress = sessionApi, Timeout = TimeSpan.FromSeconds(10) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", callerKey);
    }

    public static string NewUserId() => Guid.NewGuid().ToString();

    public async Task<BenchSession> CreateAsync(string userId, CancellationToken ct = default)
    {
        var now = DateTimeOffset.UtcNow;
        var email = $"bench-{userId[..8]}@bench.test";
        var accessToken = LocalJwt.AccessToken(userId, email, Guid.NewGuid().ToString(), now, TimeSpan.FromHours(1));
        var user = JsonSerializer.SerializeToElement(new JsonObject
        {
            ["id"] = userId,
            ["aud"] = "authenticated",
            ["role"] = "authenticated",
            ["email"] = email,
            ["email_confirmed_at"] = now.ToString("O"),
            ["phone"] = "",
            ["app_metadata"] = new JsonObject { ["provider"] = "email", ["providers"] = new JsonArray("email") },
            ["user_metadata"] = new JsonObject(),
            ["identities"] = new JsonArray(),
            ["created_at"] = now.ToString("O"),
            ["updated_at"] = now.ToString("O"),
            ["is_anonymous"] = false,
        });
        var goTrue = new GoTrueSession(accessToken, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)), 3600,
            (now + TimeSpan.FromHours(1)).ToUnixTimeSeconds(), user);
        using var response = await _http.PostAsJsonAsync("internal/v1/sessions",
            new CreateSessionRequest(goTrue, new ClientInfo("127.0.0.1", "gateway-bench")), SessionApiJsonContext.Default.CreateSessionRequest, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /internal/v1/sessions answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        }
        var created = await response.Content.ReadFromJsonAsync(SessionApiJsonContext.Default.CreateSessionResponse, ct)
            ?? throw new InvalidOperationException("POST /internal/v1/sessions answered no body");
        return new BenchSession(created.Cookie, created.Session.Id, userId);
    }

    /// <summary>The rate-limit round trip the Proxy makes before every sign-in (a key of its own, a limit never reached).</summary>
    public async Task RateLimitAsync(string key, CancellationToken ct = default)
    {
        using var response = await _http.PostAsJsonAsync("internal/v1/rate-limit",
            new RateLimitRequest(key, int.MaxValue, 60), SessionApiJsonContext.Default.RateLimitRequest, ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>What the Proxy receives (and caches) when it resolves this session's cookie.</summary>
    public async Task<ResolvedSession> ResolveAsync(BenchSession session, CancellationToken ct = default)
    {
        using var response = await _http.PostAsJsonAsync("internal/v1/sessions/resolve",
            new ResolveSessionRequest(session.Cookie, null), SessionApiJsonContext.Default.ResolveSessionRequest, ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(SessionApiJsonContext.Default.ResolvedSession, ct)
            ?? throw new InvalidOperationException("resolve answered no body");
    }

    /// <summary>Creates <paramref name="count"/> sessions (each for a user of its own) with a few requests in flight.</summary>
    public async Task<List<BenchSession>> CreateManyAsync(int count, int parallelism, CancellationToken ct = default)
    {
        var sessions = new BenchSession[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct },
            async (i, token) => sessions[i] = await CreateAsync(NewUserId(), token));
        return [.. sessions];
    }

    public void Dispose() => _http.Dispose();
}
