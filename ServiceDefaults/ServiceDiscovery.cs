using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Primitives;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Resolves logical service URIs such as <c>http://sessionapi/x</c>, <c>https+http://sessionapi</c> (https preferred,
/// http accepted) or <c>http://_admin.sessionapi</c> (the endpoint named "admin") from Aspire's settings
/// <c>services:{service}:{endpoint}:{index}</c> (env <c>services__sessionapi__http__0</c>). Path and query are kept.
/// A URI with nothing configured comes back unchanged (a "a+b" scheme becomes its last, most permissive scheme), so
/// plain URLs work without Aspire. Microsoft.Extensions.ServiceDiscovery does this in Aspire; it is not in the feed.
/// </summary>
public sealed class ServiceEndpointResolver
{
    private readonly IConfiguration _configuration;
    private readonly ConcurrentDictionary<(string Scheme, string Host), Uri?> _cache = new();

    public ServiceEndpointResolver(IConfiguration configuration)
    {
        _configuration = configuration;
        ChangeToken.OnChange(configuration.GetReloadToken, _cache.Clear);
    }

    /// <summary>Resolves through a per-(scheme, host) cache that is cleared when configuration reloads.</summary>
    public Uri Resolve(Uri uri)
    {
        if (!uri.IsAbsoluteUri)
        {
            return uri;
        }
        var endpoint = _cache.GetOrAdd((uri.Scheme, uri.Host), static (key, configuration) => FindEndpoint(configuration, key.Scheme, key.Host), _configuration);
        return Apply(uri, endpoint);
    }

    public static Uri Resolve(IConfiguration configuration, Uri uri) =>
        uri.IsAbsoluteUri ? Apply(uri, FindEndpoint(configuration, uri.Scheme, uri.Host)) : uri;

    private static Uri Apply(Uri uri, Uri? endpoint)
    {
        if (endpoint is not null)
        {
            return new UriBuilder(uri) { Scheme = endpoint.Scheme, Host = endpoint.Host, Port = endpoint.Port }.Uri;
        }
        var schemes = uri.Scheme.Split('+');
        return schemes.Length > 1 ? new UriBuilder(uri) { Scheme = schemes[^1] }.Uri : uri;
    }

    /// <summary>The configured base address for a (scheme, host) pair, or null.</summary>
    private static Uri? FindEndpoint(IConfiguration configuration, string scheme, string host)
    {
        // "_name.service": an explicitly named endpoint of the service.
        if (host.StartsWith('_') && host.IndexOf('.') is > 1 and var dot)
        {
            return FirstAddress(configuration.GetSection($"services:{host[(dot + 1)..]}:{host[1..dot]}"));
        }
        foreach (var candidate in scheme.Split('+'))
        {
            if (FirstAddress(configuration.GetSection($"services:{host}:{candidate}")) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    private static Uri? FirstAddress(IConfigurationSection endpoint)
    {
        // Aspire writes index 0; further indexes (replicas) are ignored: one address per endpoint is enough here.
        var address = endpoint["0"] ?? endpoint.GetChildren().OrderBy(child => child.Key, StringComparer.Ordinal).Select(child => child.Value)
            .FirstOrDefault(value => !string.IsNullOrWhiteSpace(value));
        return Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;
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
