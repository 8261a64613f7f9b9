using Microsoft.Extensions.Options;
using Proxy.Auth;
using Proxy.Cookies;
using Proxy.Forwarding;
using Proxy.Options;
using Proxy.Security;
using Proxy.Sessions;
using Proxy.Webhooks;

namespace Proxy;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>Options (validated at startup), the session cache and its event subscriber, sign-in interception, forwarding.</summary>
    public static IHostApplicationBuilder AddGateway(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddOptions<SupabaseUpstreamOptions>().BindConfiguration(SupabaseUpstreamOptions.Section).ValidateDataAnnotations()
            .Validate(o => GatewayOptions.IsHttpUrl(o.Url), "Setting 'Supabase:Url' must be an absolute http(s) URL such as http://127.0.0.1:54321.")
            .ValidateOnStart();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<OriginPolicy>();
        services.AddSingleton<SessionCookiePolicy>();
        services.AddHttpClient<SessionApiClient>().ConfigurePrimaryHttpMessageHandler(SessionApiClient.CreateHandler).SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.AddMetrics();
        services.AddSingleton<SessionTelemetry>();
        services.AddSingleton<SessionCache>();
        services.AddSingleton<ISessionCache>(sp => sp.GetRequiredService<SessionCache>());
        services.AddHostedService<SessionEventsSubscriber>();
        services.AddSingleton<PlaceholderTokens>();
        services.AddHttpClient<GoTrueForwarder>(client => GoTrueForwarder.Configure(client, builder.Configuration)).ConfigurePrimaryHttpMessageHandler(WithoutCookies);
        services.AddTransient<SignInCompleter>();
        services.AddRedirectAllowList();
        services.AddServerPkce();
        services.AddGatewayForwarding(builder.Configuration);
        services.AddUserWebhook();
        services.AddHealthChecks().AddCheck<SessionApiHealthCheck>("sessionapi", tags: ["ready"]);
        return builder;
    }

    /// <summary>
    /// These clients serve every user: a cookie container would keep whatever Set-Cookie upstream sends (Supabase
    /// does) and replay it on the next user's request, so server-side calls never carry cookies.
    /// </summary>
    private static SocketsHttpHandler WithoutCookies() => new()
    {
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    };
}
