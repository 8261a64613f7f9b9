using TestSupport;

namespace EndToEnd.Tests.StandIn;

/// <summary>schema.sql (hosted projects, the stand-in) and the CLI migration (local stack) must not drift apart.</summary>
public sealed class SchemaFileTests
{
    [Fact]
    public void Schema_sql_and_the_cli_migration_are_identical()
    {
        var migrations = Directory.GetFiles(Path.Combine(RepoPaths.Root, "supabase", "migrations"), "*.sql");
        var init = Assert.Single(migrations, m => Path.GetFileName(m).EndsWith("_init.sql", StringComparison.Ordinal));
        Assert.Matches(@"^\d{14}_init\.sql$", Path.GetFileName(init));
        Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Root, "schema.sql")), File.ReadAllText(init));
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
