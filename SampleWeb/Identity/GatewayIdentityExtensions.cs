using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SampleWeb.Identity;

public static class GatewayIdentityExtensions
{
    /// <summary>Verification of the Proxy's identity assertions against the SessionApi's JWKS.</summary>
    public static IServiceCollection AddGatewayIdentity(this IServiceCollection services)
    {
        services.AddOptions<GatewayIdentityOptions>().BindConfiguration(GatewayIdentityOptions.Section)
            .Validate(o => Uri.TryCreate(o.SessionApiUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https",
                "Setting 'Gateway:SessionApiUrl' must be an absolute http(s) URL (where the identity JWKS is served).")
            .ValidateOnStart();
        services.AddHttpClient(IdentityKeys.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(5));
        services.AddSingleton<IdentityKeys>();
        services.AddSingleton<GatewayIdentityValidator>();
        services.AddHealthChecks().AddCheck<IdentityKeysHealthCheck>("identity-jwks");
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }

    public static IApplicationBuilder UseGatewayIdentity(this IApplicationBuilder app) =>
        app.UseMiddleware<GatewayIdentityMiddleware>();
}
