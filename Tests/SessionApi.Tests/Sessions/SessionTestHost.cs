using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Contracts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TestSupport;

namespace SessionApi.Tests.Sessions;

/// <summary>Time that only moves when a test says so.</summary>
public sealed class ManualTime : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>The SessionApi in-process (WebApplicationFactory) against a real redis-server.</summary>
public sealed class SessionTestHost : WebApplicationFactory<Program>
{
    public const string CallerKey = "test-caller-key-0123456789-abcdefghijklmnop";
    private readonly Dictionary<string, string?> _settings;

    public SessionTestHost(RedisServer redis, ManualTime time, Dictionary<string, string?>? overrides = null)
        : this(redis.ConnectionString, time, overrides)
    {
    }

    /// <summary>Against any Redis deployment, e.g. a <see cref="RedisCluster"/>.</summary>
    public SessionTestHost(string redisConnectionString, ManualTime time, Dictionary<string, string?>? overrides = null)
    {
        Time = time;
        _settings = new()
        {
            ["ConnectionStrings:redis"] = redisConnectionString,
            ["SessionApi:CallerKey"] = CallerKey,
            ["Jwt:Secret"] = LocalSupabaseKeys.JwtSecret,
            ["Jwt:LifetimeSeconds"] = "300",
            ["Sessions:AbsoluteLifetime"] = "02:00:00",
            ["Sessions:IdleTimeout"] = "00:30:00",
            ["Supabase:Url"] = "http://127.0.0.1:9", // nothing listens: sync calls fail and are only logged
            ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
            ["Supabase:ServiceKey"] = LocalSupabaseKeys.ServiceRoleKey,
        };
        foreach (var (key, value) in overrides ?? [])
        {
            _settings[key] = value;
        }
    }

    public ManualTime Time { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production"); // what ships: no developer exception page, no ThrowOnBadRequest
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Time)));
    }

    public HttpClient Caller()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", CallerKey);
        return client;
    }

    /// <summary>A GoTrue session as GoTrue issues it (contract §1.2, §2.1), signed with the local secret.</summary>
    public static GoTrueSession GoTrueSession(string userId, string email, string refreshToken = "abcdefghijkl", JsonObject? extraClaims = null,
        string? sessionId = null, DateTimeOffset? issuedAt = null, JsonObject? userMetadata = null, long lifetimeSeconds = 3600)
    {
        var now = (issuedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["iss"] = "http://127.0.0.1:54321/auth/v1", ["sub"] = userId, ["aud"] = "authenticated", ["exp"] = now + lifetimeSeconds, ["iat"] = now,
            ["email"] = email, ["phone"] = "",
            ["app_metadata"] = new JsonObject { ["provider"] = "email", ["providers"] = new JsonArray("email") },
            ["user_metadata"] = userMetadata?.DeepClone() ?? new JsonObject { ["display_name"] = "Ann" },
            ["role"] = "authenticated", ["aal"] = "aal1",
            ["amr"] = new JsonArray(new JsonObject { ["method"] = "password", ["timestamp"] = now }),
            ["session_id"] = sessionId ?? Guid.NewGuid().ToString(), ["is_anonymous"] = false,
        };
        foreach (var (key, value) in extraClaims ?? [])
        {
            claims[key] = value?.DeepClone();
        }
        var user = new JsonObject
        {
            ["id"] = userId, ["aud"] = "authenticated", ["role"] = "authenticated", ["email"] = email, ["phone"] = "",
            ["app_metadata"] = claims["app_metadata"]!.DeepClone(), ["user_metadata"] = claims["user_metadata"]!.DeepClone(),
            ["identities"] = new JsonArray(), ["is_anonymous"] = false,
        };
        return new GoTrueSession(SignHs256(claims), refreshToken, lifetimeSeconds, now + lifetimeSeconds, JsonDocument.Parse(user.ToJsonString()).RootElement);
    }

    /// <summary>An HS256 JWT signed with the CLI's JWT secret (contract §5.3), header without kid like GoTrue's.</summary>
    public static string SignHs256(JsonObject claims)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = B64("""{"alg":"HS256","typ":"JWT"}"""u8.ToArray());
        var payload = B64(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(LocalSupabaseKeys.JwtSecret), Encoding.ASCII.GetBytes(header + "." + payload)));
        return $"{header}.{payload}.{signature}";
    }
}
