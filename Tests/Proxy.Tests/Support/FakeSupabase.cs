using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using TestSupport;

namespace Proxy.Tests.Support;

/// <summary>
/// A small Supabase API gateway double on Kestrel, mounted under <see cref="BasePath"/> so tests can check that
/// nothing escapes the configured prefix. Like the real stack it answers every response with a Set-Cookie and
/// CORS headers (which the Proxy must drop) and records every request it receives.
/// GoTrue: password "right" signs in; a signup email containing "confirm" gets a bare user (autoconfirm off).
/// </summary>
public sealed class FakeSupabase : IAsyncDisposable
{
    public const string BasePath = "/sb";
    public const string RealRefreshToken = "realrefresh1";
    public const string UserId = "0b0e6a3c-0000-4000-8000-000000000001";

    private FakeHost _host = null!;
    private int _issued;

    private FakeSupabase()
    {
    }

    /// <summary>The Supabase:Url the Proxy is given (with a path prefix).</summary>
    public string Url => _host.Url + BasePath;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Access tokens this fake issued (none may ever reach the browser).</summary>
    public ConcurrentQueue<string> IssuedAccessTokens { get; } = new();

    public IEnumerable<RecordedRequest> RequestsTo(string path) => Requests.Where(r => r.Path == BasePath + path);

    public static async Task<FakeSupabase> StartAsync()
    {
        var fake = new FakeSupabase();
        fake._host = await FakeHost.StartAsync(app => app.Use(fake.HandleAsync));
        return fake;
    }

    private async Task HandleAsync(HttpContext context, RequestDelegate _)
    {
        var request = context.Request;
        var body = await new StreamReader(request.Body).ReadToEndAsync();
        Requests.Enqueue(new RecordedRequest(request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "",
            request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body));

        var response = context.Response;
        response.Headers.Append("Set-Cookie", "upstream=leak; Path=/");
        response.Headers["Access-Control-Allow-Origin"] = "*";
        response.Headers["Access-Control-Allow-Credentials"] = "true";
        var versioned = request.Headers.ContainsKey("X-Supabase-Api-Version");
        if (versioned)
        {
            response.Headers["X-Supabase-Api-Version"] = "2024-01-01";
        }

        var path = request.Path.Value ?? "";
        if (!path.StartsWith(BasePath + "/", StringComparison.Ordinal))
        {
            response.StatusCode = 418; // outside the prefix: the test that sees this fails
            return;
        }
        path = path[BasePath.Length..];
        switch (request.Method, path)
        {
            case ("POST", "/auth/v1/token") when request.Query["grant_type"] == "password":
                if (Field(body, "password") == "right")
                {
                    await WriteSessionAsync(context, Field(body, "email"));
                }
                else
                {
                    await WriteErrorAsync(context, versioned, 400, "invalid_credentials", "Invalid login credentials");
                }
                return;
            case ("POST", "/auth/v1/token"):
                await WriteErrorAsync(context, versioned, 400, "validation_failed", "unsupported_grant_type");
                return;
            case ("POST", "/auth/v1/signup"):
                var email = Field(body, "email");
                if (email.Contains("confirm", StringComparison.Ordinal))
                {
                    await response.WriteAsJsonAsync(User(email));
                }
                else
                {
                    await WriteSessionAsync(context, email);
                }
                return;
            case ("POST", "/auth/v1/factors/always-gzip/verify"):
                await WriteGzippedSessionAsync(context); // an edge that compresses whatever was asked
                return;
            case ("POST", "/auth/v1/factors/truncated/verify"):
                response.ContentType = "application/json";
                await response.WriteAsync($"{{\"access_token\":\"{Issue()}\",\"refresh_token\":\"{RealRefreshToken}\",\"expires_in\":36");
                return;
            case ("POST", _) when path.StartsWith("/auth/v1/factors/", StringComparison.Ordinal):
                if (request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
                {
                    await WriteGzippedSessionAsync(context); // Supabase's edge compresses when the client allows it
                    return;
                }
                await WriteSessionAsync(context, "mfa@example.com");
                return;
            case ("GET", "/rest/v1/crash"):
                response.StatusCode = 500;
                response.ContentType = "text/html";
                await response.WriteAsync("<h1>Internal error</h1><pre>System.InvalidOperationException at Supabase.Internal.Db.Query() in /srv/app/Db.cs:line 42</pre>");
                return;
            case ("GET", "/rest/v1/json-error"):
                response.StatusCode = 500;
                await response.WriteAsJsonAsync(new { code = "XX000", message = "internal error", details = (string?)null, hint = (string?)null });
                return;
            case ("GET", "/rest/v1/cacheable"):
                response.Headers.CacheControl = "public, max-age=600, s-maxage=600";
                await response.WriteAsJsonAsync(new { path });
                return;
            case ("GET", "/auth/v1/verify"):
                response.StatusCode = 303;
                response.Headers.Location = $"http://app.example.test/welcome#access_token={Issue()}&expires_in=3600&refresh_token={RealRefreshToken}&token_type=bearer";
                return;
        }
        await response.WriteAsJsonAsync(new { path, query = request.QueryString.Value });
    }

    private string Issue()
    {
        var token = $"real-access-token-{Interlocked.Increment(ref _issued)}";
        IssuedAccessTokens.Enqueue(token);
        return token;
    }

    private async Task WriteGzippedSessionAsync(HttpContext context)
    {
        var session = new JsonObject
        {
            ["access_token"] = Issue(),
            ["token_type"] = "bearer",
            ["expires_in"] = 3600,
            ["refresh_token"] = RealRefreshToken,
            ["user"] = User("mfa@example.com"),
        };
        using var compressed = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(System.Text.Encoding.UTF8.GetBytes(session.ToJsonString()));
        }
        context.Response.ContentType = "application/json";
        context.Response.Headers.ContentEncoding = "gzip";
        await context.Response.Body.WriteAsync(compressed.ToArray());
    }

    private async Task WriteSessionAsync(HttpContext context, string email)
    {
        var expiresAt = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["access_token"] = Issue(),
            ["token_type"] = "bearer",
            ["expires_in"] = 3600,
            ["expires_at"] = expiresAt,
            ["refresh_token"] = RealRefreshToken,
            ["user"] = User(email),
        });
    }

    private static JsonObject User(string email) => new()
    {
        ["id"] = UserId,
        ["aud"] = "authenticated",
        ["role"] = "authenticated",
        ["email"] = email,
        ["phone"] = "",
        ["app_metadata"] = new JsonObject { ["provider"] = "email" },
        ["user_metadata"] = new JsonObject(),
        ["identities"] = new JsonArray(),
        ["is_anonymous"] = false,
    };

    private static async Task WriteErrorAsync(HttpContext context, bool versioned, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["x-sb-error-code"] = code;
        await context.Response.WriteAsJsonAsync(versioned
            ? new JsonObject { ["code"] = code, ["message"] = message }
            : new JsonObject { ["code"] = status, ["error_code"] = code, ["msg"] = message });
    }

    private static string Field(string body, string name)
    {
        try
        {
            return JsonNode.Parse(body)?[name]?.GetValue<string>() ?? "";
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return "";
        }
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
