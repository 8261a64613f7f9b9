using System.Security.Cryptography;
using SessionApi.Tests.Sessions;
using SessionApi.Tests.Support;
using TestSupport;

namespace SessionApi.Tests.Api;

/// <summary>A missing or invalid setting stops the SessionApi at startup with a message naming it.</summary>
public sealed class StartupValidationTests(SharedRedis shared) : IClassFixture<SharedRedis>
{
    private static readonly string Pem = ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem();
    private readonly RedisServer _redis = shared.Server;

    public static TheoryData<string, string?, string?, string> BadSettings => new()
    {
        // setting, value, a second setting to set (name=value), the setting the error must name
        { "ConnectionStrings:redis", "", null, "ConnectionStrings:redis" },
        { "SessionApi:CallerKey", "", null, "SessionApi:CallerKey" },
        { "SessionApi:CallerKey", "only-twenty-chars-ok", null, "SessionApi:CallerKey" },
        { "Jwt:Secret", "", null, "Jwt:Secret" },
        { "Jwt:Secret", "shorter-than-32-characters", null, "Jwt:Secret" },
        { "Jwt:SigningKeyPem", Pem, null, "Jwt:SigningKeyPem" },                 // both a secret and a key: ambiguous
        { "Jwt:SigningKeyPem", Pem, "Jwt:Secret=", "Jwt:KeyId" },                // ES256 without its kid
        { "Jwt:SigningKeyPem", "not a pem", "Jwt:Secret=", "Jwt:SigningKeyPem" },
        { "Jwt:LifetimeSeconds", "0", null, "Jwt:LifetimeSeconds" },
        { "Identity:SigningKeyPem", Pem, null, "Identity:KeyId" },
        { "Supabase:Url", "", null, "Supabase:Url" },
        { "Supabase:Url", "not a url", null, "Supabase:Url" },
        { "Supabase:AnonKey", "", null, "Supabase:AnonKey" },
        { "Supabase:ServiceKey", "", null, "Supabase:ServiceKey" },
        { "Sessions:IdleTimeout", "-00:01:00", null, "Sessions:IdleTimeout" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void StartupFailsWithAMessageNamingTheSetting(string setting, string? value, string? also, string named)
    {
        var overrides = new Dictionary<string, string?> { [setting] = value };
        if (also is not null)
        {
            overrides[also[..also.IndexOf('=')]] = also[(also.IndexOf('=') + 1)..];
        }
        Assert.Contains(named, StartupFailure(overrides));
    }

    [Fact]
    public void EverySettingMissingAtOnceIsNamedInOneFailure()
    {
        var messages = StartupFailure(new()
        {
            ["SessionApi:CallerKey"] = "", ["Supabase:Url"] = "", ["Supabase:AnonKey"] = "", ["Supabase:ServiceKey"] = "", ["Jwt:Secret"] = "",
        });
        foreach (var setting in new[] { "SessionApi:CallerKey", "Supabase:Url", "Supabase:AnonKey", "Supabase:ServiceKey", "Jwt:Secret" })
        {
            Assert.Contains(setting, messages);
        }
    }

    [Fact]
    public void ValidSettingsStart()
    {
        using var host = new SessionTestHost(_redis, new ManualTime(), new() { ["Jwt:Secret"] = null, ["Jwt:SigningKeyPem"] = Pem, ["Jwt:KeyId"] = "k1" });
        using var client = host.CreateClient();
        Assert.NotNull(client);
    }

    /// <summary>
    /// The messages of the exception startup fails with. WebApplicationFactory can lose the race between the failed
    /// host being disposed and its own wait for it, and then reports only an ObjectDisposedException (seen on a busy
    /// CI box); that says nothing about startup, so the start is tried again, at most three times.
    /// </summary>
    private string StartupFailure(Dictionary<string, string?> overrides)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var host = new SessionTestHost(_redis, new ManualTime(), overrides);
            var error = Assert.ThrowsAny<Exception>(() => host.CreateClient());
            if (error is not ObjectDisposedException || attempt == 3)
            {
                return Messages(error);
            }
        }
    }

    private static string Messages(Exception e)
    {
        var all = new List<string>();
        void Walk(Exception? current)
        {
            for (; current is not null; current = current.InnerException)
            {
                all.Add(current.Message);
                if (current is AggregateException aggregate)
                {
                    foreach (var inner in aggregate.InnerExceptions)
                    {
                        Walk(inner);
                    }
                }
            }
        }
        Walk(e);
        return string.Join(" | ", all);
    }
}
