using Microsoft.Extensions.Options;

namespace SessionApi.Options;

public static class OptionsRegistration
{
    /// <summary>Every SessionApi setting, bound and validated at startup (a bad one stops the process, naming it).</summary>
    public static IHostApplicationBuilder AddSessionApiOptions(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SessionApiOptions>().BindConfiguration(SessionApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SupabaseOptions>().BindConfiguration(SupabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SessionLifetimeOptions>().BindConfiguration(SessionLifetimeOptions.Section)
            .Validate(o => o.AbsoluteLifetime > TimeSpan.Zero && o.IdleTimeout > TimeSpan.Zero,
                "Settings 'Sessions:AbsoluteLifetime' and 'Sessions:IdleTimeout' must be positive.")
            .ValidateOnStart();
        services.AddOptions<JwtOptions>().BindConfiguration(JwtOptions.Section).ValidateOnStart();
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<JwtOptions>, JwtOptionsValidator>();
        services.AddSingleton<IValidateOptions<IdentityOptions>, IdentityOptionsValidator>();
        return builder;
    }
}
