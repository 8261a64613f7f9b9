using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace SupabaseEmulator;

/// <summary>
/// The emulator's own public URL (like Kong at :54321) and what derives from it: GoTrue's issuer, its external
/// URL (callback, email links). Fixed per process, not taken from request Host headers.
/// </summary>
public sealed class EmulatorUrls(IServer server, IOptions<EmulatorOptions> options)
{
    private string? _baseUrl;

    public string BaseUrl => _baseUrl ??= ResolveBaseUrl();

    public string Issuer => options.Value.Issuer?.TrimEnd('/') ?? BaseUrl + "/auth/v1";

    public string ExternalUrl => options.Value.ExternalUrl?.TrimEnd('/') ?? BaseUrl + "/auth/v1";

    /// <summary>Where the fake OAuth provider's consent endpoint lives.</summary>
    public string OAuthProviderUrl => BaseUrl + "/__emulator/oauth";

    private string ResolveBaseUrl()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses.FirstOrDefault() ?? "http://127.0.0.1:54321";
        return address.Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
            .TrimEnd('/');
    }
}
