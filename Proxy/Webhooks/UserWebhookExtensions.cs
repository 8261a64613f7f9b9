using Microsoft.Extensions.Options;

namespace Proxy.Webhooks;

public static class UserWebhookExtensions
{
    /// <summary>Gateway:UserWebhook options (validated at startup) and the endpoint's handler.</summary>
    public static IServiceCollection AddUserWebhook(this IServiceCollection services)
    {
        services.AddOptions<UserWebhookOptions>().BindConfiguration(UserWebhookOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UserWebhookOptions>>(new UserWebhookOptionsValidator());
        services.AddTransient<UserWebhookEndpoint>();
        return services;
    }

    /// <summary>Always mapped: without a secret it answers 404 like any unknown gateway path.</summary>
    public static IEndpointRouteBuilder MapUserWebhook(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(UserWebhookEndpoint.Path, (HttpContext context, UserWebhookEndpoint endpoint) => endpoint.HandleAsync(context));
        return endpoints;
    }

    private sealed class UserWebhookOptionsValidator : IValidateOptions<UserWebhookOptions>
    {
        public ValidateOptionsResult Validate(string? name, UserWebhookOptions options) =>
            UserWebhookOptions.Problem(options) is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }
}
