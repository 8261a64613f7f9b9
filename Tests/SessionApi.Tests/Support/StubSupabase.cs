using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using TestSupport;

namespace SessionApi.Tests.Support;

/// <summary>One request the stub received.</summary>
public sealed record StubRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, JsonNode? Body, DateTimeOffset At)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;
}

/// <summary>
/// The three Supabase endpoints the SessionApi calls, on a real socket: the refresh-token grant (answered by the
/// test's <see cref="OnRefresh"/>), logout (204, like GoTrue) and the sessions table upsert (201).
/// Records every request so tests can assert what reached Supabase.
/// </summary>
public sealed class StubSupabase : IAsyncDisposable
{
    private readonly ConcurrentQueue<StubRequest> _requests = new();
    private FakeHost _host = null!;

    private StubSupabase()
    {
    }

    public string Url => _host.Url;

    /// <summary>Answers POST /auth/v1/token?grant_type=refresh_token, given the refresh token sent.</summary>
    public Func<string, Task<IResult>> OnRefresh { get; set; } =
        _ => Task.FromResult(Results.Json(new { code = "refresh_token_not_found", message = "Invalid Refresh Token: Refresh Token Not Found" }, statusCode: 400));

    public IReadOnlyList<StubRequest> Requests => [.. _requests];

    public IReadOnlyList<StubRequest> To(string pathPrefix) => Requests.Where(r => r.PathAndQuery.StartsWith(pathPrefix, StringComparison.Ordinal)).ToList();

    public static async Task<StubSupabase> StartAsync()
    {
        var stub = new StubSupabase();
        stub._host = await FakeHost.StartAsync(stub.Serve);
        return stub;
    }

    private void Serve(WebApplication app)
    {
        var stub = this;
        app.MapPost("/auth/v1/token", async (HttpContext context) =>
        {
            var request = await stub.RecordAsync(context);
            return await stub.OnRefresh(request.Body?["refresh_token"]?.GetValue<string>() ?? "");
        });
        app.MapPost("/auth/v1/logout", async (HttpContext context) =>
        {
            await stub.RecordAsync(context);
            return Results.NoContent();
        });
        app.MapPost("/rest/v1/sessions", async (HttpContext context) =>
        {
            await stub.RecordAsync(context);
            return Results.StatusCode(201);
        });
    }

    /// <summary>Waits until at least <paramref name="count"/> requests to <paramref name="pathPrefix"/> arrived.</summary>
    public async Task<IReadOnlyList<StubRequest>> WaitForAsync(string pathPrefix, int count, Func<StubRequest, bool>? where = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (true)
        {
            var matching = To(pathPrefix).Where(where ?? (_ => true)).ToList();
            if (matching.Count >= count)
            {
                return matching;
            }
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"expected {count} request(s) to {pathPrefix}, got {matching.Count}: " +
                    string.Join(", ", Requests.Select(r => r.Method + " " + r.PathAndQuery)));
            }
            await Task.Delay(20);
        }
    }

    private async Task<StubRequest> RecordAsync(HttpContext context)
    {
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        JsonNode? json = null;
        try
        {
            json = body.Length == 0 ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
        }
        var request = new StubRequest(
            context.Request.Method,
            context.Request.Path + context.Request.QueryString,
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
            json,
            DateTimeOffset.UtcNow);
        _requests.Enqueue(request);
        return request;
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
