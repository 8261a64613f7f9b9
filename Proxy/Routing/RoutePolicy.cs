namespace Proxy.Routing;

/// <summary>
/// Per-route policy, attached as endpoint metadata by the route table (<see cref="GatewayRoutes"/>) to the Proxy's own
/// endpoints and to the forwarded YARP routes alike, and read by the pipeline steps. Rate limits are ASP.NET Core's
/// <c>EnableRateLimiting</c> metadata (policy names in <see cref="Security.RateLimitPolicies"/>).
/// </summary>
public static class RoutePolicies
{
    /// <summary>GoTrue's API (/supabase/auth/**): auth-sized bodies, redirect targets checked, errors in GoTrue's shape.</summary>
    public sealed class AuthApi
    {
        public static readonly AuthApi Instance = new();
    }

    /// <summary>A sign-in: unsafe requests must be same-origin even without the session cookie (login CSRF).</summary>
    public sealed class SignIn
    {
        public static readonly SignIn Instance = new();
    }

    /// <summary>Answers carry session or auth state: Cache-Control no-store.</summary>
    public sealed class NoStore
    {
        public static readonly NoStore Instance = new();
    }

    /// <summary>Storage: a declared upload size above Gateway:Limits:MaxRequestBodyBytes is refused before forwarding.</summary>
    public sealed class StorageUpload
    {
        public static readonly StorageUpload Instance = new();
    }

    /// <summary>
    /// A route that starts a redirecting sign-in: without the client's own code_challenge the gateway starts its PKCE
    /// flow (<see cref="Auth.ServerPkceMiddleware"/>). <paramref name="LinkType"/> is the link mailed (null: an OAuth
    /// redirect; "*": read from the body's "type").
    /// </summary>
    public sealed record ServerPkceStart(string Method, string? LinkType);

    /// <summary>A no-JS form posted from <paramref name="Page"/>: a refusal (rate limit) goes back there instead of answering JSON.</summary>
    public sealed record HtmlForm(string Page);

    /// <summary>The policy of this kind on the request's route, or null.</summary>
    public static T? RoutePolicy<T>(this HttpContext context) where T : class => context.GetEndpoint()?.Metadata.GetMetadata<T>();

    /// <summary>Whether the request's route carries a policy of this kind.</summary>
    public static bool HasRoutePolicy<T>(this HttpContext context) where T : class => context.RoutePolicy<T>() is not null;

    /// <summary>The GoTrue API's policies on one of the Proxy's own endpoints.</summary>
    public static TBuilder AsAuthApi<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(AuthApi.Instance, NoStore.Instance);

    public static TBuilder AsSignIn<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(SignIn.Instance);

    public static TBuilder AsNoStore<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(NoStore.Instance);
}
