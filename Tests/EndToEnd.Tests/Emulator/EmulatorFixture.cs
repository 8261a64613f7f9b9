using TestSupport;

namespace EndToEnd.Tests.Emulator;

/// <summary>
/// The Supabase emulator alone, as a process on its own PostgreSQL, with a short refresh reuse interval so the
/// already-used rule can be observed in a test.
/// </summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public const int ReuseIntervalSeconds = 1;
    public const string SiteUrl = "http://127.0.0.1:5999";

    public PostgresServer Postgres { get; private set; } = null!;

    public ServiceProcess Process { get; private set; } = null!;

    public Uri Url => Process.Url;

    public EmulatorClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Postgres = await PostgresServer.StartAsync();
        var database = await Postgres.CreateDatabaseAsync("emulator_tests");
        Process = await ServiceProcess.StartAsync("emulator", "SupabaseEmulator", new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgres"] = database,
            ["Emulator:RefreshReuseIntervalSeconds"] = ReuseIntervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Emulator:SiteUrl"] = SiteUrl,
            ["Emulator:AdditionalRedirectUrls:0"] = "http://app.emulator.test/**",
        }, readyPath: "/auth/v1/health");
        Client = new EmulatorClient(Url);
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
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "emulator";
}
