using SampleWeb.Identity;

namespace SampleWeb.Variants;

/// <summary>
/// Mirrors the seed's Next.js "_authenticated" directory: a request with a verified identity is served by the
/// twin page under Pages/_Authenticated; without one, the anonymous page runs (protected pages redirect to
/// sign-in). The twins are never reachable directly.
/// </summary>
public sealed class AuthenticatedVariantMiddleware(RequestDelegate next, GatewayIdentityValidator validator)
{
    public const string Folder = "/_Authenticated";
    private static readonly string[] VariantRoots = ["/posts", "/account", "/notes"];

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments(Folder, StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        if (context.Request.Headers["X-Gateway-Identity"].ToString() is { Length: > 0 } assertion
            && await validator.ValidateAsync(assertion, context.RequestAborted) is { } user)
        {
            context.SetGatewayUser(user);
            if (path == "/" || path == "/index" || VariantRoots.Any(root => path.StartsWithSegments(root, StringComparison.OrdinalIgnoreCase)))
            {
                context.Request.Path = Folder + (path == "/" ? "/Index" : path.Value);
            }
        }
        await next(context);
    }
}
