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
    /// <summary>
    /// Settings (bound once, validated at startup), the session step and cache with its event subscriber, rate limits,
    /// sign-in interception, forwarding.
    /// </summary>
    public static IHostApplicationBuilder AddGateway(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddGatewaySettings();
        services.AddSingleton<OriginPolicy>();
        services.AddSingleton<SessionCookiePolicy>();
        services.AddHttpClient<SessionApiClient>().ConfigurePrimaryHttpMessageHandler(SessionApiClient.CreateHandler).SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.AddMetrics();
        services.AddSingleton<SessionTelemetry>();
        services.AddSingleton<SessionCache>();
        services.AddSingleton<ISessionCache>(sp => sp.GetRequiredService<SessionCache>());
        services.AddSingleton<SessionGate>();
        services.AddHostedService<SessionEventsSubscriber>();
        services.AddGatewayRateLimiting();
        services.AddSingleton<PlaceholderTokens>();
        services.AddHttpClient<GoTrueForwarder>(GoTrueForwarder.Configure).ConfigurePrimaryHttpMessageHandler(WithoutCookies);
        services.AddTransient<SignInCompleter>();
        services.AddSingleton<RedirectAllowList>();
        services.AddServerPkce();
        services.AddGatewayForwarding();
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
