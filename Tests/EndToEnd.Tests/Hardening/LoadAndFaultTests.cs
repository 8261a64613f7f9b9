using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EndToEnd.Tests.Infrastructure;
using TestSupport;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Hardening;

/// <summary>
/// Many users signing in and using their sessions through the Proxy while Redis or the SessionApi is killed
/// (SIGKILL) and restarted, and while Supabase is down. A user may see 503 while the session store is gone, but
/// never another user's identity, never an anonymous answer to a request that carried their cookie, and their
/// session must work again afterwards (Redis persists with appendfsync always, like the AppHost's volume).
/// </summary>
public sealed class LoadAndFaultTests(ITestOutputHelper output)
{
    // Typically 25-50 s for 1,000 users; the margin is for CI machines whose 2 cores are shared. Every retry loop
    // also ends on its own (LoadRun.RetryFor), so a stuck stack fails the test instead of hanging it.
    private static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(90);

    // One loopback IP signs in 1,000 users: the per-IP sign-in limit is not what is tested here (the builder's default).
    private static TestStackBuilder Topology => new();

    [Fact]
    public async Task RedisKilledMidLoadLosesNoSessionAndNeverServesTheWrongUserOrAnonymous()
    {
        await using var stack = await Topology.StartAsync();
        var load = new LoadRun(stack, users: 1000, concurrency: 64);
        var counts = await load.RunAsync(async () =>
        {
            await stack.Redis.StopAsync();
            output.WriteLine($"redis killed at {load.Elapsed.TotalSeconds:F1} s ({load.SignedIn} users signed in)");
            await Task.Delay(TimeSpan.FromSeconds(2));
            await stack.Redis.StartAgainAsync();
            output.WriteLine($"redis back at {load.Elapsed.TotalSeconds:F1} s");
        });
        output.WriteLine("Redis kill -9 + restart: " + counts);
        counts.AssertNothingLostOrLeaked(1000);
        Assert.True(counts.Duration < MaxDuration, $"took {counts.Duration.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task SessionApiKilledMidLoadLosesNoSessionAndNeverServesTheWrongUserOrAnonymous()
    {
        await using var stack = await Topology.StartAsync();
        var load = new LoadRun(stack, users: 300, concurrency: 64);
        var counts = await load.RunAsync(async () =>
        {
            await stack.SessionApi.StopAsync();
            output.WriteLine($"sessionapi killed at {load.Elapsed.TotalSeconds:F1} s ({load.SignedIn} users signed in)");
            await stack.SessionApi.StartAgainAsync();
            output.WriteLine($"sessionapi back at {load.Elapsed.TotalSeconds:F1} s");
        });
        output.WriteLine("SessionApi kill + restart: " + counts);
        counts.AssertNothingLostOrLeaked(300);
        Assert.True(counts.Duration < MaxDuration, $"took {counts.Duration.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task SupabaseDownGivesGoTrueStyle502ThenEverythingWorksAgain()
    {
        await using var stack = await Topology.StartAsync();
        using var http = LoadRun.NewClient(stack);
        var user = await LoadRun.SignUpAsync(http, stack, $"down-{Guid.NewGuid():N}@example.com");
        Assert.NotNull(user);

        await stack.Emulator.StopAsync();
        var cases = new (string Name, Func<HttpRequestMessage> Request)[]
        {
            ("anonymous REST read", () => new HttpRequestMessage(HttpMethod.Get, "/supabase/rest/v1/posts?select=*")),
            ("REST read with a cookie", () => LoadRun.WithCookie(new HttpRequestMessage(HttpMethod.Get, "/supabase/rest/v1/notes?select=*"), user!.Cookie)),
            ("auth user with a cookie", () => LoadRun.WithCookie(new HttpRequestMessage(HttpMethod.Get, "/supabase/auth/v1/user"), user!.Cookie)),
            ("sign-in", () => LoadRun.SignInRequest(stack, user!.Email)),
        };
        foreach (var (name, request) in cases)
        {
            using var response = await http.SendAsync(request());
            var text = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{name} while Supabase is down: {(int)response.StatusCode} {text}");
            Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"{name}: {(int)response.StatusCode} {text}");
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var body = JsonNode.Parse(text)!.AsObject();
            Assert.Equal(502, body["code"]!.GetValue<int>());
            Assert.Equal("upstream_unavailable", body["error_code"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(body["msg"]?.GetValue<string>()));
            Assert.DoesNotContain("   at ", text);
            Assert.DoesNotContain("Exception", text);
            Assert.DoesNotContain(stack.EmulatorUrl.Authority, text);
            Assert.False(response.Headers.Contains("Set-Cookie"), name);
        }

        await stack.Emulator.StartAgainAsync();
        foreach (var (name, request) in cases)
        {
            using var response = await http.SendAsync(request());
            Assert.True(response.IsSuccessStatusCode, $"{name} after Supabase came back: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}

/// <summary>Outcome counts of one load run, printed by the tests.</summary>
public sealed record LoadCounts(
    int SignedIn,
    int Requests,
    int RequestsDuringFault,
    int SignIn503,
    int Auth503,
    int Other,
    int LostSessions,
    int WrongUser,
    int Anonymous,
    int NeverSignedIn,
    TimeSpan Duration,
    IReadOnlyList<string> Samples)
{
    public void AssertNothingLostOrLeaked(int users)
    {
        Assert.True(WrongUser == 0, $"{WrongUser} answers carried another user's identity: {string.Join(" | ", Samples)}");
        Assert.True(Anonymous == 0, $"{Anonymous} requests with a cookie were served anonymously: {string.Join(" | ", Samples)}");
        Assert.True(LostSessions == 0, $"{LostSessions} sessions were lost: {string.Join(" | ", Samples)}");
        Assert.True(NeverSignedIn == 0 && SignedIn == users, $"{SignedIn} of {users} users signed in: {string.Join(" | ", Samples)}");
        Assert.True(Other == 0, $"{Other} unexpected answers: {string.Join(" | ", Samples)}");
        Assert.True(RequestsDuringFault > 0, "no request with a cookie was made while the fault lasted");
    }

    public override string ToString() =>
        $"users signed in {SignedIn}, authenticated requests {Requests} ({RequestsDuringFault} while the fault lasted), errors: 503 sign-in {SignIn503}, 503 auth request {Auth503}, other {Other}; " +
        $"lost sessions {LostSessions}, wrong-user responses {WrongUser}, anonymous responses to cookie requests {Anonymous}; " +
        $"never signed in {NeverSignedIn}; {Duration.TotalSeconds:F1} s";
}

/// <summary>
/// One load run: <c>users</c> users, at most <c>concurrency</c> at a time, each signing up through the Proxy and
/// making authenticated requests whose answers must name them. The fault runs once 40 % have signed in; a final
/// pass checks every cookie still works.
/// </summary>
public sealed class LoadRun(TestStack stack, int users, int concurrency)
{
    private const int RequestsPerUser = 2;
    private const string SignUpPath = "/supabase/auth/v1/signup";
    private const string TokenPath = "/supabase/auth/v1/token?grant_type=password";
    private static readonly TimeSpan RetryFor = TimeSpan.FromSeconds(60);
    private readonly Stopwatch _clock = new();
    private readonly ConcurrentQueue<string> _samples = new();
    private int _duringFault, _signedIn, _requests, _signIn503, _auth503, _other, _lost, _wrongUser, _anonymous, _neverSignedIn;

    public sealed record User(string Email, string Id, string Cookie);

    public TimeSpan Elapsed => _clock.Elapsed;

    public int SignedIn => Volatile.Read(ref _signedIn);

    public static HttpClient NewClient(TestStack stack) =>
        new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, MaxConnectionsPerServer = 256 })
        {
            BaseAddress = stack.ProxyUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };

    public async Task<LoadCounts> RunAsync(Func<Task> fault)
    {
        using var http = NewClient(stack);
        var signedUp = new ConcurrentBag<User>();
        var faultAt = users * 2 / 5;
        var faultTask = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runId = Guid.NewGuid().ToString("N")[..8];
        _clock.Start();
        await Parallel.ForAsync(0, users, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
        {
            var user = await SignInWithRetriesAsync(http, $"load-{runId}-{i}@example.com");
            if (user is null)
            {
                Interlocked.Increment(ref _neverSignedIn);
                return;
            }
            signedUp.Add(user);
            if (Interlocked.Increment(ref _signedIn) == faultAt)
            {
                var running = Task.Run(fault);
                faultTask.TrySetResult(Task.WhenAll(running, WhileTheFaultLastsAsync(http, signedUp, running)));
            }
            for (var r = 0; r < RequestsPerUser; r++)
            {
                await AuthenticatedUntilAnsweredAsync(http, user, r);
            }
        });
        // The fault must have hit while users were still signing in and making requests.
        Assert.True(faultTask.Task.IsCompleted, $"only {_signedIn} of {users} users signed in; the fault never ran");
        await await faultTask.Task;

        // Every session that was handed out must still work after the fault.
        await Parallel.ForEachAsync(signedUp, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (user, _) =>
            await AuthenticatedUntilAnsweredAsync(http, user, 0));
        _clock.Stop();
        return new LoadCounts(_signedIn, _requests, _duringFault, _signIn503, _auth503, _other, _lost, _wrongUser, _anonymous, _neverSignedIn,
            _clock.Elapsed, [.. _samples.Take(5)]);
    }

    public static HttpRequestMessage WithCookie(HttpRequestMessage request, string cookie)
    {
        request.Headers.Add("Cookie", "sb-session=" + cookie);
        return request;
    }

    public static HttpRequestMessage SignInRequest(TestStack stack, string email) =>
        AuthRequest(stack, "/supabase/auth/v1/token?grant_type=password", email);

    public static async Task<User?> SignUpAsync(HttpClient http, TestStack stack, string email)
    {
        using var response = await http.SendAsync(AuthRequest(stack, "/supabase/auth/v1/signup", email));
        return await ReadUserAsync(response, email);
    }

    private static HttpRequestMessage AuthRequest(TestStack stack, string path, string email)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { email, password = "correct-horse" }) };
        request.Headers.Add("Origin", stack.PublicOrigin);
        return request;
    }

    private static async Task<User?> ReadUserAsync(HttpResponseMessage response, string email)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return null;
        }
        var cookie = response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.FirstOrDefault(c => c.StartsWith("sb-session=", StringComparison.Ordinal))?.Split(';')[0]["sb-session=".Length..]
            : null;
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        var id = body?["user"]?["id"]?.GetValue<string>();
        return cookie is null || id is null ? null : new User(email, id, cookie);
    }

    /// <summary>Sign up; when that is refused (503 while the store is down) or fails, retry with the password grant.</summary>
    private async Task<User?> SignInWithRetriesAsync(HttpClient http, string email)
    {
        var started = Stopwatch.StartNew();
        var path = SignUpPath;
        while (started.Elapsed < RetryFor)
        {
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(AuthRequest(stack, path, email));
            }
            catch (HttpRequestException e)
            {
                Note($"sign-in {email}: {e.Message}");
                Interlocked.Increment(ref _other);
                await Task.Delay(200);
                continue;
            }
            using (response)
            {
                if (await ReadUserAsync(response, email) is { } user)
                {
                    return user;
                }
                var code = ErrorCode(response);
                var signingUp = path.EndsWith("/signup", StringComparison.Ordinal);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    // GoTrue may have created the user before the session store refused: sign in from now on.
                    Interlocked.Increment(ref _signIn503);
                    path = TokenPath;
                }
                else if (signingUp && code == "user_already_exists")
                {
                    path = TokenPath;
                }
                else if (!signingUp && code == "invalid_credentials")
                {
                    path = SignUpPath; // the earlier sign-up never reached GoTrue
                }
                else
                {
                    Interlocked.Increment(ref _other);
                    Note($"sign-in {email}: {(int)response.StatusCode} {code} {await response.Content.ReadAsStringAsync()}");
                }
            }
            await Task.Delay(250 + Random.Shared.Next(250)); // a user retrying, not a tight loop that starves the restarting service
        }
        return null;
    }

    /// <summary>One authenticated request, repeated while the answer is 503 (bounded); classifies every answer.</summary>
    private async Task AuthenticatedUntilAnsweredAsync(HttpClient http, User user, int round)
    {
        var started = Stopwatch.StartNew();
        while (started.Elapsed < RetryFor)
        {
            if (await AuthenticatedOnceAsync(http, user, round))
            {
                return;
            }
            await Task.Delay(250 + Random.Shared.Next(250)); // a user retrying, not a tight loop that starves the restarting service
        }
        Interlocked.Increment(ref _lost);
        Note($"{user.Email}: no answer within {RetryFor.TotalSeconds} s");
    }

    /// <summary>Signed-in users keep using their sessions for as long as the fault lasts: 503 is fine, nothing else is.</summary>
    private async Task WhileTheFaultLastsAsync(HttpClient http, ConcurrentBag<User> signedUp, Task fault)
    {
        var users = signedUp.ToArray();
        await Parallel.ForAsync(0, 8, async (worker, _) =>
        {
            for (var i = worker; !fault.IsCompleted; i += 8)
            {
                await AuthenticatedOnceAsync(http, users[i % users.Length], i);
                Interlocked.Increment(ref _duringFault);
                await Task.Delay(50);
            }
        });
    }

    /// <summary>Sends one request with the user's cookie and classifies the answer; false when it should be retried (503 or a transport error).</summary>
    private async Task<bool> AuthenticatedOnceAsync(HttpClient http, User user, int round)
    {
        // Alternate between Supabase's view (the minted JWT, checked by GoTrue) and the Proxy's own.
        var viaSupabase = round % 2 == 0;
        using var request = WithCookie(new HttpRequestMessage(HttpMethod.Get, viaSupabase ? "/supabase/auth/v1/user" : "/edge/v1/session"), user.Cookie);
        Interlocked.Increment(ref _requests);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request);
        }
        catch (HttpRequestException e)
        {
            Interlocked.Increment(ref _other);
            Note($"request {user.Email}: {e.Message}");
            return false;
        }
        using (response)
        {
            var code = ErrorCode(response);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    var body = await response.Content.ReadFromJsonAsync<JsonObject>();
                    var id = (viaSupabase ? body?["id"] : body?["user"]?["id"])?.GetValue<string>();
                    if (id != user.Id)
                    {
                        Interlocked.Increment(ref _wrongUser);
                        Note($"{user.Email} expected {user.Id} got {id}");
                    }
                    return true;
                case HttpStatusCode.ServiceUnavailable when code == "session_store_unavailable":
                    Interlocked.Increment(ref _auth503);
                    return false;
                case HttpStatusCode.Unauthorized when code == "session_expired":
                    Interlocked.Increment(ref _lost);
                    Note($"{user.Email}: session ended");
                    return true;
                case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                    // Not our "session ended": the request reached Supabase (or the edge endpoint) without the user's token.
                    Interlocked.Increment(ref _anonymous);
                    Note($"{user.Email}: {(int)response.StatusCode} {code} {await response.Content.ReadAsStringAsync()}");
                    return true;
                default:
                    Interlocked.Increment(ref _other);
                    Note($"{user.Email}: {(int)response.StatusCode} {code} {await response.Content.ReadAsStringAsync()}");
                    return false;
            }
        }
    }

    private static string? ErrorCode(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-sb-error-code", out var values) ? values.FirstOrDefault() : null;

    private void Note(string sample)
    {
        if (_samples.Count < 20)
        {
            _samples.Enqueue(sample);
        }
    }
}
