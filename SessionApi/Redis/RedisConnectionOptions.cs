using System.Globalization;

namespace SessionApi.Redis;

/// <summary>
/// Connection settings, parsed from the StackExchange.Redis configuration string that Aspire injects as
/// ConnectionStrings__redis (<c>host:port[,host2:port2],password=…,user=…,ssl=true,defaultDatabase=0,abortConnect=false</c>)
/// or from a <c>redis://user:pass@host:port/db</c> / <c>rediss://…</c> URI. Settings this client has no use for are
/// listed in <see cref="IgnoredSettings"/> (logged at debug) rather than refused, so the same string keeps working
/// with StackExchange.Redis.
/// </summary>
public sealed record RedisConnectionOptions
{
    public const int DefaultPort = 6379;

    /// <summary>Tried in order on every (re)connect; the first that accepts the handshake is used.</summary>
    public required IReadOnlyList<(string Host, int Port)> Endpoints { get; init; }
    public string? User { get; init; }
    public string? Password { get; init; }
    public bool Ssl { get; init; }

    /// <summary>Name expected on the server certificate; the endpoint's host when null.</summary>
    public string? SslHost { get; init; }
    public int Database { get; init; }

    /// <summary>Sent as CLIENT SETNAME (shows up in CLIENT LIST).</summary>
    public string? ClientName { get; init; }

    /// <summary>When false, <see cref="RedisClient.ConnectAsync"/> returns a client that keeps reconnecting in the background.</summary>
    public bool AbortConnect { get; init; } = true;
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a command may wait for its reply (asyncTimeout, or syncTimeout when only that is given).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Accept any server certificate. Only honoured in Development (see <see cref="RedisServiceCollectionExtensions"/>).</summary>
    public bool AllowUntrustedCertificate { get; init; }

    /// <summary>Accept the ASP.NET Core HTTPS development certificate even when the machine does not trust it:
    /// Aspire 13.1's local Redis serves TLS with it. Only honoured in Development.</summary>
    public bool TrustDevCertificate { get; init; }

    /// <summary>PEM file with the CA certificate(s) that issued the server certificate (instead of the machine's trust store).</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>Keys of the connection string this client ignores (StackExchange.Redis settings it does not need).</summary>
    public IReadOnlyList<string> IgnoredSettings { get; init; } = [];

    public (string Host, int Port) Primary => Endpoints[0];

    /// <summary>Parses either form; throws <see cref="FormatException"/> with the offending part (never the password).</summary>
    public static RedisConnectionOptions Parse(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new FormatException("The Redis connection string is empty.");
        }
        connectionString = connectionString.Trim();
        return connectionString.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)
            || connectionString.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase)
            ? ParseUri(connectionString)
            : ParseConfiguration(connectionString);
    }

    private static RedisConnectionOptions ParseConfiguration(string value)
    {
        var endpoints = new List<(string, int)>();
        var ignored = new List<string>();
        var options = new RedisConnectionOptions { Endpoints = endpoints, IgnoredSettings = ignored };
        bool asyncTimeoutGiven = false;
        foreach (var raw in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = raw.IndexOf('=');
            if (eq < 0)
            {
                endpoints.Add(ParseEndpoint(raw));
                continue;
            }
            var key = raw[..eq].Trim();
            var setting = raw[(eq + 1)..].Trim();
            switch (key.ToLowerInvariant())
            {
                case "password": options = options with { Password = setting }; break;
                case "user": options = options with { User = setting.Length == 0 ? null : setting }; break;
                case "ssl": options = options with { Ssl = ParseBool(key, setting) }; break;
                case "sslhost": options = options with { SslHost = setting.Length == 0 ? null : setting }; break;
                case "defaultdatabase": options = options with { Database = ParseInt(key, setting) }; break;
                case "name": options = options with { ClientName = setting.Length == 0 ? null : setting }; break;
                case "abortconnect": options = options with { AbortConnect = ParseBool(key, setting) }; break;
                case "connecttimeout": options = options with { ConnectTimeout = ParseMilliseconds(key, setting) }; break;
                case "asynctimeout":
                    options = options with { CommandTimeout = ParseMilliseconds(key, setting) };
                    asyncTimeoutGiven = true;
                    break;
                case "synctimeout":
                    var sync = ParseMilliseconds(key, setting);
                    options = asyncTimeoutGiven ? options : options with { CommandTimeout = sync };
                    break;
                default:
                    ignored.Add(key);
                    break;
            }
        }
        if (endpoints.Count == 0)
        {
            throw new FormatException("The Redis connection string names no host:port endpoint (expected e.g. 'localhost:6379,password=...').");
        }
        return options;
    }

    private static RedisConnectionOptions ParseUri(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("The Redis URI is not valid (expected redis://[user:password@]host[:port][/database]).");
        }
        string? user = null, password = null;
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            (user, password) = parts.Length == 2
                ? (Uri.UnescapeDataString(parts[0]), Uri.UnescapeDataString(parts[1]))
                : (null, Uri.UnescapeDataString(parts[0])); // redis://secret@host: a password, as redis-cli reads it
            user = string.IsNullOrEmpty(user) ? null : user;
        }
        var db = uri.AbsolutePath.Trim('/') is { Length: > 0 } path ? ParseInt("database", path) : 0;
        return new RedisConnectionOptions
        {
            Endpoints = [(uri.Host.Trim('[', ']'), uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port)],
            User = user,
            Password = password,
            Ssl = uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase),
            Database = db,
        };
    }

    private static (string, int) ParseEndpoint(string endpoint)
    {
        // host, host:port, [v6]:port, or a bare IPv6 address
        if (endpoint.StartsWith('['))
        {
            var close = endpoint.IndexOf(']');
            if (close < 0)
            {
                throw new FormatException($"Redis endpoint '{endpoint}' is missing ']'.");
            }
            var rest = endpoint[(close + 1)..];
            return (endpoint[1..close], rest.Length == 0 ? DefaultPort : ParsePort(endpoint, rest.TrimStart(':')));
        }
        var colon = endpoint.LastIndexOf(':');
        if (colon < 0 || endpoint.IndexOf(':') != colon)
        {
            return (endpoint, DefaultPort);
        }
        var host = endpoint[..colon];
        if (host.Length == 0)
        {
            throw new FormatException($"Redis endpoint '{endpoint}' has no host.");
        }
        return (host, ParsePort(endpoint, endpoint[(colon + 1)..]));
    }

    private static int ParsePort(string endpoint, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new FormatException($"Redis endpoint '{endpoint}' has an invalid port '{value}'.");

    private static int ParseInt(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new FormatException($"Redis connection string: '{key}' must be a non-negative integer, got '{value}'.");

    private static TimeSpan ParseMilliseconds(string key, string value) =>
        ParseInt(key, value) is > 0 and var ms
            ? TimeSpan.FromMilliseconds(ms)
            : throw new FormatException($"Redis connection string: '{key}' must be a positive number of milliseconds, got '{value}'.");

    private static bool ParseBool(string key, string value) =>
        bool.TryParse(value, out var result) ? result : throw new FormatException($"Redis connection string: '{key}' must be true or false, got '{value}'.");

    /// <summary>For logs and errors: endpoints, TLS and database; never credentials.</summary>
    public override string ToString() =>
        string.Join(",", Endpoints.Select(e => $"{e.Host}:{e.Port}")) + (Ssl ? " (TLS)" : "") + (Database != 0 ? $" db {Database}" : "");
}
