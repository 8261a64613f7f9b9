using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Proxy.Options;

public static class OptionsRegistration
{
    /// <summary>
    /// The Proxy's two settings sections, each bound once (<see cref="GatewayOptions"/> with its sub-sections,
    /// <see cref="SupabaseOptions"/>) and validated at startup by one <see cref="IValidateOptions{TOptions}"/> each.
    /// Safe to call from every feature that needs them.
    /// </summary>
    public static IServiceCollection AddGatewaySettings(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IValidateOptions<GatewayOptions>)))
        {
            return services;
        }
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddOptions<SupabaseOptions>().BindConfiguration(SupabaseOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SupabaseOptions>, SupabaseOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
