using TestSupport;

namespace EndToEnd.Tests.StandIn;

/// <summary>
/// The Supabase stand-in alone, as a process on its own PostgreSQL, with a short refresh reuse interval so the
/// already-used rule can be observed in a test.
/// </summary>
public sealed class StandInFixture : IAsyncLifetime
{
    public const int ReuseIntervalSeconds = 1;
    public const string SiteUrl = "http://127.0.0.1:5999";

    public PostgresServer Postgres { get; private set; } = null!;

    public ServiceProcess Process { get; private set; } = null!;

    public Uri Url => Process.Url;

    public StandInClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Postgres = await PostgresServer.StartAsync();
        var database = await Postgres.CreateDatabaseAsync("standin_tests");
        Process = await ServiceProcess.StartAsync("stand-in", "Tests/SupabaseStandIn", new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgres"] = database,
            ["StandIn:RefreshReuseIntervalSeconds"] = ReuseIntervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["StandIn:SiteUrl"] = SiteUrl,
            ["StandIn:AdditionalRedirectUrls:0"] = "http://app.standin.test/**",
        }, readyPath: "/auth/v1/health");
        Client = new StandInClient(Url);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Process is not null)
        {
            await Process.DisposeAsync();
        }
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StandInCollection : ICollectionFixture<StandInFixture>
{
    public const string Name = "stand-in";
}
