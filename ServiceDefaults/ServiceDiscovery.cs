using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Resolves logical service URIs such as <c>http://sessionapi</c> or <c>https+http://sessionapi</c> from Aspire's
/// settings <c>services:{name}:{endpoint}:{index}</c> (env <c>services__sessionapi__http__0</c>). Microsoft's
/// ServiceDiscovery package does this in Aspire; it is not in the offline feed.
/// </summary>
public sealed class ServiceEndpointResolver(IConfiguration configuration)
{
    public Uri Resolve(Uri uri) => Resolve(configuration, uri);

    public static Uri Resolve(IConfiguration configuration, Uri uri)
    {
        if (!uri.IsAbsoluteUri)
        {
            return uri;
        }
        // "https+http" means: prefer https, fall back to http.
        var schemes = uri.Scheme.Split('+');
        foreach (var scheme in schemes)
        {
            var section = configuration.GetSection($"services:{uri.Host}:{scheme}");
            var address = section.GetChildren().OrderBy(child => child.Key, StringComparer.Ordinal).Select(child => child.Value)
                .FirstOrDefault(value => !string.IsNullOrWhiteSpace(value));
            if (address is not null && Uri.TryCreate(address, UriKind.Absolute, out var endpoint))
            {
                var builder = new UriBuilder(uri) { Scheme = endpoint.Scheme, Host = endpoint.Host, Port = endpoint.Port };
                return builder.Uri;
            }
        }
        if (schemes.Length > 1)
        {
            // Nothing configured: keep the host and use the last (least preferred) real scheme.
            return new UriBuilder(uri) { Scheme = schemes[^1] }.Uri;
        }
        return uri;
    }
}

/// <summary>Rewrites each outgoing request's URI through <see cref="ServiceEndpointResolver"/>.</summary>
public sealed class ServiceDiscoveryHandler(ServiceEndpointResolver resolver) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is not null)
        {
            request.RequestUri = resolver.Resolve(request.RequestUri);
        }
        return base.SendAsync(request, cancellationToken);
    }
}

public static class ServiceDiscoveryExtensions
{
    public static IServiceCollection AddServiceDiscovery(this IServiceCollection services)
    {
        services.TryAddSingleton<ServiceEndpointResolver>();
        services.TryAddTransient<ServiceDiscoveryHandler>();
        return services;
    }

    public static IHttpClientBuilder AddServiceDiscovery(this IHttpClientBuilder builder) =>
        builder.AddHttpMessageHandler<ServiceDiscoveryHandler>();
}
