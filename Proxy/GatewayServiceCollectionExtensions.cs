using Proxy.Auth;
using Proxy.Cookies;
using Proxy.Forwarding;
using Proxy.Options;
using Proxy.Security;
using Proxy.Sessions;

namespace Proxy;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>Options (validated at startup), the session cache and its event subscriber, sign-in interception, forwarding.</summary>
    public static IHostApplicationBuilder AddGateway(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.PublicOrigins.All(origin => OriginPolicy.Normalize(origin) is not null),
                "Every 'Gateway:PublicOrigins' entry must be an origin such as https://app.example.com (scheme, host, optional port; no path).")
            .ValidateOnStart();
        services.AddOptions<SupabaseUpstreamOptions>().BindConfiguration(SupabaseUpstreamOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<OriginPolicy>();
        services.AddSingleton<SessionCookiePolicy>();
        services.AddHttpClient<SessionApiClient>();
        services.AddSingleton<SessionCache>();
        services.AddSingleton<ISessionCache>(sp => sp.GetRequiredService<SessionCache>());
        services.AddHostedService<SessionEventsSubscriber>();
        services.AddSingleton<PlaceholderTokens>();
        services.AddHttpClient<GoTrueForwarder>();
        services.AddTransient<SignInCompleter>();
        services.AddGatewayForwarding(builder.Configuration);
        services.AddHealthChecks().AddCheck<SessionApiHealthCheck>("sessionapi", tags: ["ready"]);
        return builder;
    }
}
