using Microsoft.Extensions.Options;
using SupabaseEmulator.GoTrue;
using TestSupport;

namespace SupabaseEmulator.Database;

public static class EmulatorDatabaseExtensions
{
    /// <summary>
    /// Uses ConnectionStrings:postgres, or starts a PostgreSQL of its own (stopped with the process) so that
    /// <c>dotnet run --project SupabaseEmulator</c> works on its own.
    /// </summary>
    public static async Task AddEmulatorDatabaseAsync(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("postgres");
        if (string.IsNullOrEmpty(connectionString))
        {
            var server = await PostgresServer.StartAsync();
            connectionString = await server.CreateDatabaseAsync("emulator");
            builder.Services.AddSingleton(new OwnPostgres(server));
            Console.WriteLine($"Started PostgreSQL for the emulator: {connectionString}");
        }
        builder.Services.AddSingleton(new EmulatorDatabase(connectionString));
        builder.Services.AddHttpClient(nameof(PgNetWorker));
        builder.Services.AddHostedService<PgNetWorker>();
    }

    /// <summary>Creates the auth schema, applies schema.sql and seeds the demo users before the first request.</summary>
    public static async Task InitializeEmulatorDatabaseAsync(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<EmulatorOptions>>().Value;
        if (app.Services.GetService<OwnPostgres>() is { } own)
        {
            // After the server has drained, so no request loses its database mid-flight.
            app.Lifetime.ApplicationStopped.Register(() => own.Server.DisposeAsync().AsTask().GetAwaiter().GetResult());
        }
        var database = app.Services.GetRequiredService<EmulatorDatabase>();
        await database.InitializeAsync(options.SchemaPath ?? EmulatorDatabase.DefaultSchemaPath, app.Lifetime.ApplicationStopping);
        if (options.SeedUsers)
        {
            await app.Services.GetRequiredService<AuthUsers>().SeedAsync(SeedUsers.All, app.Lifetime.ApplicationStopping);
        }
    }
}

/// <summary>The PostgreSQL this process started itself (none when ConnectionStrings:postgres is set).</summary>
public sealed record OwnPostgres(PostgresServer Server);
