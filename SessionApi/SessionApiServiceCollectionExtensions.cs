using Gateway.Contracts;
using Microsoft.Extensions.Options;
using SessionApi.Api;
using SessionApi.Events;
using SessionApi.Options;
using SessionApi.Redis;
using SessionApi.Sessions;
using SessionApi.Supabase;
using SessionApi.Tokens;

namespace SessionApi;

public static class SessionApiServiceCollectionExtensions
{
    /// <summary>Options (validated at startup), the Redis-backed session store, minting, events and Supabase sync.</summary>
    public static IHostApplicationBuilder AddSessionApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SessionApiOptions>().BindConfiguration(SessionApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SupabaseOptions>().BindConfiguration(SupabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SessionLifetimeOptions>().BindConfiguration(SessionLifetimeOptions.Section)
            .Validate(o => o.AbsoluteLifetime > TimeSpan.Zero && o.IdleTimeout > TimeSpan.Zero, "Settings 'Sessions:AbsoluteLifetime' and 'Sessions:IdleTimeout' must be positive.")
            .ValidateOnStart();
        services.AddOptions<JwtOptions>().BindConfiguration(JwtOptions.Section).ValidateOnStart();
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<JwtOptions>, JwtOptionsValidator>();
        services.AddSingleton<IValidateOptions<IdentityOptions>, IdentityOptionsValidator>();

        builder.AddRedisClient();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ISessionStore, RedisSessionStore>();
        services.AddSingleton<SigningKeys>();
        services.AddSingleton<TokenMinter>();
        services.AddSingleton<SessionService>();
        services.AddSingleton<RateLimiter>();
        services.AddSingleton<SessionEventHub>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionEventHub>());
        services.AddHttpClient(nameof(SupabaseSync));
        services.AddSingleton<SupabaseSync>();
        services.AddHostedService(sp => sp.GetRequiredService<SupabaseSync>());

        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, SessionApiJsonContext.Default));
        return builder;
    }
}
