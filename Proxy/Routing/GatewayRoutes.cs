using Proxy.Auth;
using Proxy.Edge;
using Proxy.Realtime;
using Proxy.Security;
using Proxy.Webhooks;
using static Proxy.Routing.RoutePolicies;

namespace Proxy.Routing;

/// <summary>
/// The route table: every path the Proxy serves, and the policy of each (rate limit, same-origin requirement, body
/// limits, cache headers, server PKCE), as endpoint metadata that the pipeline steps read. No step matches paths by
/// hand. The Proxy's own endpoints come first (order 0); forwarded routes have a higher order so an endpoint of ours
/// always wins over forwarding the same path; among forwarded routes the most specific template wins.
/// </summary>
public static class GatewayRoutes
{
    public const string SupabaseCluster = "supabase";
    public const string SampleWebCluster = "sampleweb";

    /// <summary>Route order of the forwarded /supabase routes: after the Proxy's own endpoints on the same path.</summary>
    public const int ForwardedOrder = 1;

    private const string Auth = "/supabase/auth/v1";

    /// <summary>Forwarded to Supabase (the auth routes named here are the ones with a policy of their own) or to SampleWeb.</summary>
    public static readonly ForwardedRoute[] Forwarded =
    [
        GoTrue("auth-token", "/token", RateLimitPolicies.SignIn, SignIn.Instance),
        GoTrue("auth-signup", "/signup", RateLimitPolicies.SignIn, SignIn.Instance),
        GoTrue("auth-verify", "/verify", RateLimitPolicies.SignIn, SignIn.Instance),
        GoTrue("auth-otp", "/otp", RateLimitPolicies.Otp, new ServerPkceStart("POST", "magiclink")),
        GoTrue("auth-magiclink", "/magiclink", RateLimitPolicies.Otp, new ServerPkceStart("POST", "magiclink")),
        GoTrue("auth-recover", "/recover", RateLimitPolicies.Otp, new ServerPkceStart("POST", "recovery")),
        GoTrue("auth-resend", "/resend", RateLimitPolicies.Otp, new ServerPkceStart("POST", "*")),
        GoTrue("auth-sso", "/sso", null, new ServerPkceStart("POST", "sso")),
        GoTrue("auth-authorize", "/authorize", null, new ServerPkceStart("GET", null)),
        GoTrue("auth-link-identity", "/user/identities/authorize", null, new ServerPkceStart("GET", null)),
        GoTrue("auth-user", "/user", null, new ServerPkceStart("PUT", "email_change")),
        new("auth", "/supabase/auth/{**rest}", SupabaseCluster, null, [AuthApi.Instance, NoStore.Instance]),
        new("storage", "/supabase/storage/v1/{**rest}", SupabaseCluster, null, [StorageUpload.Instance]),
        new("supabase", "/supabase/{**rest}", SupabaseCluster, null, []),
        new("sampleweb", "/{**rest}", SampleWebCluster, null, [], Order: 1000),
    ];

    /// <summary>A forwarded GoTrue route: GoTrue's API policies plus its own.</summary>
    private static ForwardedRoute GoTrue(string id, string path, string? rateLimit, object policy) =>
        new(id, Auth + path, SupabaseCluster, rateLimit, [AuthApi.Instance, NoStore.Instance, policy]);

    /// <summary>Maps every route: the Proxy's own endpoints with their policies, then the forwarded routes.</summary>
    public static WebApplication MapGatewayRoutes(this WebApplication app)
    {
        app.MapDefaultEndpoints();
        app.MapRealtimeRelay();

        var auth = app.MapGroup(Auth).AsAuthApi();
        auth.MapAuthInterception();

        app.MapServerPkceCallback().AsNoStore();
        app.MapUserWebhook().AsNoStore();
        var edge = app.MapGroup("/edge/v1").AsNoStore();
        edge.MapFormEndpoints();
        edge.MapEdgeEndpoints();

        app.MapReverseProxy(Forwarding.GatewayForwarding.Configure)
            .ConfigureEndpoints((endpoint, route) =>
            {
                if (Array.Find(Forwarded, r => r.Id == route.RouteId) is { } forwarded)
                {
                    endpoint.WithMetadata(forwarded.Policies);
                }
            });
        return app;
    }
}
