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
        new("auth-token", Auth + "/token", SupabaseCluster, RateLimitPolicies.SignIn, [AuthApi.Instance, NoStore.Instance, SignIn.Instance]),
        new("auth-signup", Auth + "/signup", SupabaseCluster, RateLimitPolicies.SignIn, [AuthApi.Instance, NoStore.Instance, SignIn.Instance]),
        new("auth-verify", Auth + "/verify", SupabaseCluster, RateLimitPolicies.SignIn, [AuthApi.Instance, NoStore.Instance, SignIn.Instance]),
        new("auth-otp", Auth + "/otp", SupabaseCluster, RateLimitPolicies.Otp, [AuthApi.Instance, NoStore.Instance, new ServerPkceStart("POST", "magiclink")]),
        new("auth-magiclink", Auth + "/magiclink", SupabaseCluster, RateLimitPolicies.Otp, [AuthApi.Instance, NoStore.Instance, new ServerPkceStart("POST", "magiclink")]),
        new("auth-recover", Auth + "/recover", SupabaseCluster, RateLimitPolicies.Otp, [AuthApi.Instance, NoStore.Instance, new ServerPkceStart("POST", "recovery")]),
        new("auth-resend", Auth + "/resend", SupabaseCluster, RateLimitPolicies.Otp, [AuthApi.Instance, NoStore.Instance, new ServerPkceStart("POST", "*")]),
        new("auth-sso", Auth + "/sso", SupabaseCluster, null, [AuthApi.Instance, NoStore.Instance, new ServerPkceStart("POST", "sso")]),
        new("auth-authorize", Auth + "/authorize", SupabaseCluster, null, [AuthApi.Instance, NoStore.Instance, new ServerPkceStart("GET", null)]),
        new("auth-link-identity", Auth + "/user/identities/authorize", SupabaseCluster, null, [AuthApi.Instance, NoStore.Instance, new ServerPkceStart("GET", null)]),
        new("auth-user", Auth + "/user", SupabaseCluster, null, [AuthApi.Instance, NoStore.Instance, new ServerPkceStart("PUT", "email_change")]),
        new("auth", "/supabase/auth/{**rest}", SupabaseCluster, null, [AuthApi.Instance, NoStore.Instance]),
        new("storage", "/supabase/storage/v1/{**rest}", SupabaseCluster, null, [StorageUpload.Instance]),
        new("supabase", "/supabase/{**rest}", SupabaseCluster, null, []),
        new("sampleweb", "/{**rest}", SampleWebCluster, null, [], Order: 1000),
    ];

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
