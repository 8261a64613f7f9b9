using Microsoft.Extensions.Configuration;

namespace AppHost.LocalInfrastructure;

/// <summary>What runs Redis and Supabase in run mode (publish mode always targets a hosted Supabase and a Redis container).</summary>
internal enum LocalInfrastructureMode
{
    /// <summary>A Redis container and the Supabase CLI's containers (`supabase start`).</summary>
    Containers,

    /// <summary>`redis-server` as a process and the in-repo Supabase emulator over a PostgreSQL it starts itself.</summary>
    Emulator,
}

/// <summary>The LocalInfrastructure:* AppHost settings (appsettings.json, environment LocalInfrastructure__*, or the command line).</summary>
internal sealed record LocalInfrastructureSettings(
    string Mode,
    int ProxyPort,
    int EmulatorPort,
    string DataDirectory)
{
    public const string Section = "LocalInfrastructure";

    public static LocalInfrastructureSettings From(IDistributedApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(Section);
        var dataDirectory = section["DataDirectory"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured, builder.AppHostDirectory)
            : Path.Combine(builder.AppHostDirectory, ".data");
        return new LocalInfrastructureSettings(
            section["Mode"] is { Length: > 0 } mode ? mode : "auto",
            Port(section, "ProxyPort", SupabaseProject.LocalSitePort),
            Port(section, "EmulatorPort", SupabaseProject.LocalApiPort),
            dataDirectory);
    }

    private static int Port(IConfigurationSection section, string name, int fallback) =>
        section[name] is not { Length: > 0 } text ? fallback
        : int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536 ? port
        : throw new LocalSetupException($"{Section}:{name} must be a TCP port (1-65535), not '{text}'.");
}
