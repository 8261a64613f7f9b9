using System.Globalization;

namespace TestSupport;

/// <summary>
/// What each service needs to find its peers, written once for every topology the tests and the bench start
/// (<see cref="TestStackBuilder"/>) and for the in-process Proxy harness. A topology only adds what differs.
/// </summary>
public static class ServiceSettings
{
    /// <summary>The Supabase emulator on its own database; GoTrue's site URL and redirect allow-list are the gateway's origin.</summary>
    public static Dictionary<string, string?> Emulator(string databaseConnectionString, string publicOrigin) => new()
    {
        ["ConnectionStrings:postgres"] = databaseConnectionString,
        ["Emulator:SiteUrl"] = publicOrigin,
        ["Emulator:AdditionalRedirectUrls:0"] = publicOrigin + "/**",
    };

    /// <summary>A SessionApi on <paramref name="redis"/>, minting with the local JWT secret and the shared identity key.</summary>
    public static Dictionary<string, string?> SessionApi(string redis, string callerKey, Uri supabase, string identityKeyPem, string identityKeyId, int jwtLifetimeSeconds) => new()
    {
        ["ConnectionStrings:redis"] = redis,
        ["SessionApi:CallerKey"] = callerKey,
        ["Jwt:Secret"] = LocalSupabaseKeys.JwtSecret,
        ["Jwt:LifetimeSeconds"] = jwtLifetimeSeconds.ToString(CultureInfo.InvariantCulture),
        ["Identity:SigningKeyPem"] = identityKeyPem,
        ["Identity:KeyId"] = identityKeyId,
        ["Supabase:Url"] = Trim(supabase),
        ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
        ["Supabase:ServiceKey"] = LocalSupabaseKeys.ServiceRoleKey,
    };

    /// <summary>SampleWeb reading sessions from <paramref name="sessionApi"/> and data from Supabase.</summary>
    public static Dictionary<string, string?> SampleWeb(Uri sessionApi, Uri supabase) => new()
    {
        ["Gateway:SessionApiUrl"] = Trim(sessionApi),
        ["Supabase:Url"] = Trim(supabase),
        ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
    };

    /// <summary>
    /// A Proxy in front of <paramref name="supabase"/> and <paramref name="pages"/>, asking <paramref name="sessionApi"/>
    /// for sessions, trusting exactly <paramref name="publicOrigins"/> for same-origin checks.
    /// </summary>
    public static Dictionary<string, string?> Proxy(string supabase, string anonKey, string sessionApi, string callerKey, string pages, params string[] publicOrigins)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Supabase:Url"] = supabase,
            ["Supabase:AnonKey"] = anonKey,
            ["Gateway:SessionApiUrl"] = sessionApi,
            ["Gateway:SessionApiKey"] = callerKey,
            ["Gateway:SampleWebUrl"] = pages,
        };
        for (var i = 0; i < publicOrigins.Length; i++)
        {
            settings[$"Gateway:PublicOrigins:{i}"] = publicOrigins[i];
        }
        return settings;
    }

    /// <summary>
    /// Turns the Proxy's sign-in rate limits off: suites and benchmarks sign in from one loopback address far more
    /// often than a person would. Tests of the limits themselves leave this out.
    /// </summary>
    public static readonly KeyValuePair<string, string?> WithoutRateLimits = new("Gateway:RateLimits:Enabled", "false");

    /// <summary>A URL nothing listens on (pages of a Proxy whose tests never ask for one answer 502).</summary>
    public static string ClosedPortUrl() => $"http://127.0.0.1:{FreePort.Next()}";

    /// <summary>The URL without its trailing slash, as settings expect it.</summary>
    public static string Trim(Uri url) => url.ToString().TrimEnd('/');
}
