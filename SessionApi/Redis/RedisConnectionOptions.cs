using System.Globalization;

namespace SessionApi.Redis;

/// <summary>
/// Connection settings, parsed from the StackExchange.Redis configuration string that Aspire injects as
/// ConnectionStrings__redis (<c>host:port,password=…,ssl=true,abortConnect=false</c>) or a redis:// URI.
/// </summary>
public sealed record RedisConnectionOptions
{
    public required IReadOnlyList<(string Host, int Port)> Endpoints { get; init; }
    public string? User { get; init; }
    public string? Password { get; init; }
    public bool Ssl { get; init; }
    public string? SslHost { get; init; }
    public int Database { get; init; }
    public string? ClientName { get; init; }
    public bool AbortConnect { get; init; } = true;
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Accept a certificate the machine does not trust (Aspire's local Redis uses the ASP.NET dev cert). Development only.</summary>
    public bool AllowUntrustedCertificate { get; init; }

    public (string Host, int Port) Primary => Endpoints[0];

    public static RedisConnectionOptions Parse(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new FormatException("The Redis connection string is empty.");
        }
        connectionString = connectionString.Trim();
        return connectionString.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)
            || connectionString.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase)
            ? ParseUri(new Uri(connectionString))
            : ParseConfiguration(connectionString);
    }

    private static RedisConnectionOptions ParseConfiguration(string value)
    {
        var endpoints = new List<(string, int)>();
        var options = new RedisConnectionOptions { Endpoints = endpoints };
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
            options = key.ToLowerInvariant() switch
            {
                "password" => options with { Password = setting },
                "user" => options with { User = setting },
                "ssl" => options with { Ssl = ParseBool(key, setting) },
                "sslhost" => options with { SslHost = setting },
                "defaultdatabase" => options with { Database = ParseInt(key, setting) },
                "name" => options with { ClientName = setting },
                "abortconnect" => options with { AbortConnect = ParseBool(key, setting) },
                "connecttimeout" => options with { ConnectTimeout = TimeSpan.FromMilliseconds(ParseInt(key, setting)) },
                "synctimeout" or "asynctimeout" => options with { CommandTimeout = TimeSpan.FromMilliseconds(ParseInt(key, setting)) },
                _ => options, // other StackExchange.Redis settings do not apply to this client
            };
        }
        if (endpoints.Count == 0)
        {
            throw new FormatException("The Redis connection string names no host:port endpoint.");
        }
        return options;
    }

    private static RedisConnectionOptions ParseUri(Uri uri)
    {
        string? user = null, password = null;
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            (user, password) = parts.Length == 2
                ? (Uri.UnescapeDataString(parts[0]), Uri.UnescapeDataString(parts[1]))
                : (null, Uri.UnescapeDataString(parts[0]));
            user = string.IsNullOrEmpty(user) ? null : user;
        }
        var db = uri.AbsolutePath.Trim('/') is { Length: > 0 } path ? ParseInt("database", path) : 0;
        return new RedisConnectionOptions
        {
            Endpoints = [(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port)],
            User = user,
            Password = password,
            Ssl = uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase),
            Database = db,
        };
    }

    private static (string, int) ParseEndpoint(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon < 0)
        {
            return (endpoint, 6379);
        }
        var host = endpoint[..colon].Trim('[', ']');
        return (host, ParseInt("port", endpoint[(colon + 1)..]));
    }

    private static int ParseInt(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result) && result >= 0
            ? result
            : throw new FormatException($"Redis connection string: '{key}' must be a non-negative integer, got '{value}'.");

    private static bool ParseBool(string key, string value) =>
        bool.TryParse(value, out var result) ? result : throw new FormatException($"Redis connection string: '{key}' must be true or false, got '{value}'.");

    public override string ToString() => $"{Primary.Host}:{Primary.Port}{(Ssl ? " (TLS)" : "")} db {Database}";
}
