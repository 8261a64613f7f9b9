using TestSupport;

namespace EndToEnd.Tests.Emulator;

/// <summary>schema.sql (hosted projects, the emulator) and the CLI migration (local stack) must not drift apart.</summary>
public sealed class SchemaFileTests
{
    [Fact]
    public void Schema_sql_is_the_cli_migrations_in_order()
    {
        var migrations = Directory.GetFiles(Path.Combine(RepoPaths.Root, "supabase", "migrations"), "*.sql").Order(StringComparer.Ordinal).ToList();
        Assert.Matches(@"^\d{14}_init\.sql$", Path.GetFileName(migrations[0]));
        Assert.All(migrations, m => Assert.Matches(@"^\d{14}_[a-z_]+\.sql$", Path.GetFileName(m)));
        Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Root, "schema.sql")), string.Concat(migrations.Select(File.ReadAllText)));
    }

    [Fact]
    public void Cli_config_points_auth_redirects_at_the_proxy_and_keeps_confirmations_off()
    {
        var config = File.ReadAllText(Path.Combine(RepoPaths.Root, "supabase", "config.toml"));
        Assert.Contains("site_url = \"http://127.0.0.1:5080\"", config);
        Assert.Contains("enable_confirmations = false", config);
        Assert.Contains("port = 54321", config);
        Assert.Contains("major_version = 17", config);
    }
}
