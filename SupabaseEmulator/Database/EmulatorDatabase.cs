using Npgsql;
using TestSupport;

namespace SupabaseEmulator.Database;

/// <summary>
/// The emulator's PostgreSQL: <see cref="Admin"/> is GoTrue's connection (it owns the auth schema);
/// <see cref="Authenticator"/> is PostgREST's (it may only switch to anon, authenticated or service_role).
/// </summary>
public sealed class EmulatorDatabase : IAsyncDisposable
{
    /// <summary>Only matters on clusters that require passwords; test clusters trust loopback.</summary>
    private const string AuthenticatorPassword = "authenticator-emulator";

    public EmulatorDatabase(string connectionString)
    {
        Admin = NpgsqlDataSource.Create(connectionString);
        var authenticator = new NpgsqlConnectionStringBuilder(connectionString) { Username = "authenticator", Password = AuthenticatorPassword };
        Authenticator = NpgsqlDataSource.Create(authenticator.ConnectionString);
    }

    public NpgsqlDataSource Admin { get; }

    public NpgsqlDataSource Authenticator { get; }

    public static string DefaultSchemaPath => Path.Combine(RepoPaths.Root, "schema.sql");

    /// <summary>Supabase's platform schema first, then the project's schema.sql on top (both idempotent).</summary>
    public async Task InitializeAsync(string schemaPath, CancellationToken ct)
    {
        await using var connection = await Admin.OpenConnectionAsync(ct);
        await ExecuteAsync(connection, await ReadResourceAsync("auth-schema.sql", ct), ct);
        await ExecuteAsync(connection, await ReadResourceAsync("pg-net-shim.sql", ct), ct);
        await ExecuteAsync(connection, $"alter role authenticator with login password '{AuthenticatorPassword}'", ct);
        await ExecuteAsync(connection, await File.ReadAllTextAsync(schemaPath, ct), ct);
    }

    public async ValueTask DisposeAsync()
    {
        await Authenticator.DisposeAsync();
        await Admin.DisposeAsync();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<string> ReadResourceAsync(string name, CancellationToken ct)
    {
        await using var stream = typeof(EmulatorDatabase).Assembly.GetManifestResourceStream("SupabaseEmulator.Database." + name)
            ?? throw new InvalidOperationException($"Embedded {name} is missing.");
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(ct);
    }
}
