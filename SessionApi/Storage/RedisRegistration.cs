using StackExchange.Redis;

namespace SessionApi.Storage;

public static class RedisRegistration
{
    public const string ConnectionName = "redis";
    public const string SettingsSection = "Redis";

    // Short enough that a stalled Redis turns into a 503 well inside the Proxy's own call budget.
    private const int DefaultConnectTimeoutMs = 2_000;
    private const int DefaultCommandTimeoutMs = 2_000;

    /// <summary>
    /// The shared <see cref="IConnectionMultiplexer"/> from <c>ConnectionStrings:redis</c> (StackExchange.Redis format,
    /// as Aspire injects it), through Aspire's client integration: its health check, tracing and metrics.
    /// It fails closed and never stalls: startup does not abort while Redis is down (the service starts, reports not
    /// ready and reconnects), and a command issued while disconnected fails at once instead of waiting in a backlog.
    /// TLS trust beyond the machine's store: <c>Redis:CaCertificatePath</c> (PEM of the issuing CA, any environment);
    /// in Development only, <c>Redis:TrustDevCertificate</c> (default true: the ASP.NET Core development certificate,
    /// which Aspire's local Redis serves) and <c>Redis:AllowUntrustedCertificate</c>.
    /// A missing or invalid connection string stops startup here, with a message naming the setting.
    /// A cluster (Azure Managed Redis with the OSS policy) needs nothing more than its endpoint(s): the client discovers
    /// the nodes and follows failovers. Writes that must survive a failover are confirmed on a replica
    /// (<see cref="ReplicaAcknowledgement"/>, <c>Redis:ReplicaAcks</c>, <c>Redis:ReplicaAckTimeout</c>).
    /// </summary>
    public static IHostApplicationBuilder AddSessionRedis(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var connectionString = configuration.GetConnectionString(ConnectionName);
        Validate(connectionString);
        var trust = RedisCertificateTrust.FromConfiguration(configuration, builder.Environment);
        builder.AddRedisClient(ConnectionName, settings => settings.DisableTracing = !builder.IsOtlpExportConfigured(), options =>
        {
            options.AbortOnConnectFail = false;
            options.BacklogPolicy = BacklogPolicy.FailFast;
            options.ReconnectRetryPolicy = new ExponentialRetry(deltaBackOffMilliseconds: 250, maxDeltaBackOffMilliseconds: 2_000);
            if (!Mentions(connectionString!, "connectTimeout"))
            {
                options.ConnectTimeout = DefaultConnectTimeoutMs;
            }
            if (!Mentions(connectionString!, "syncTimeout") && !Mentions(connectionString!, "asyncTimeout"))
            {
                options.SyncTimeout = options.AsyncTimeout = DefaultCommandTimeoutMs;
            }
            options.ClientName ??= builder.Environment.ApplicationName;
            trust.Apply(options);
        });
        builder.Services.AddOptions<ReplicaAckOptions>().BindConfiguration(ReplicaAckOptions.Section)
            .Validate(o => o.IsValid, $"Setting '{SettingsSection}:ReplicaAcks' must be 'auto' or a number from 0 to 5, and '{SettingsSection}:ReplicaAckTimeout' a time span above 0 and at most 10 s.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ReplicaAcknowledgement>();
        // The client writes a multi-line endpoint summary at Information on every (re)connect; failures stay visible.
        builder.Logging.AddFilter("StackExchange.Redis", LogLevel.Warning);
        return builder;
    }

    private static void Validate(string? connectionString)
    {
        string? problem;
        try
        {
            problem = string.IsNullOrWhiteSpace(connectionString) ? "it is empty."
                : ConfigurationOptions.Parse(connectionString).EndPoints.Count == 0 ? "it names no host:port endpoint."
                : null;
        }
        catch (ArgumentException e)
        {
            problem = e.Message.Contains("password", StringComparison.OrdinalIgnoreCase) ? "it cannot be parsed." : e.Message;
        }
        if (problem is not null)
        {
            throw new InvalidOperationException(
                $"Setting 'ConnectionStrings:{ConnectionName}' (env ConnectionStrings__{ConnectionName}) is missing or invalid: {problem} " +
                "Expected StackExchange.Redis format, e.g. 'localhost:6379,user=...,password=...,ssl=false'.");
        }
    }

    private static bool Mentions(string connectionString, string setting) =>
        connectionString.Split(',').Any(part => part.TrimStart().StartsWith(setting + "=", StringComparison.OrdinalIgnoreCase));
}
