namespace Proxy.Webhooks;

public static class UserWebhookExtensions
{
    /// <summary>The endpoint's handler (its settings are Gateway:UserWebhook, part of GatewayOptions).</summary>
    public static IServiceCollection AddUserWebhook(this IServiceCollection services) => services.AddTransient<UserWebhookEndpoint>();

    /// <summary>Always mapped: without a secret it answers 404 like any unknown gateway path.</summary>
    public static RouteHandlerBuilder MapUserWebhook(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(UserWebhookEndpoint.Path, (HttpContext context, UserWebhookEndpoint endpoint) => endpoint.HandleAsync(context));
}
