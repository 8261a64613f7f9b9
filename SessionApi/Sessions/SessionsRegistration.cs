using SessionApi.Api;

namespace SessionApi.Sessions;

public static class SessionsRegistration
{
    /// <summary>The Redis-backed session store, the lifecycle service and the server-side GoTrue refresh.</summary>
    public static IHostApplicationBuilder AddSessionStore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ISessionStore, RedisSessionStore>();
        builder.Services.AddSingleton<GoTrueSessionRefresher>();
        builder.Services.AddSingleton<SessionService>();
        builder.Services.AddSingleton<RateLimiter>();
        builder.Services.AddSingleton<NonceRegistry>();
        builder.Services.AddSingleton<UserChanges>();
        return builder;
    }
}
