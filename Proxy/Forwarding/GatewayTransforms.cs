using Proxy.Routing;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Proxy.Forwarding;

/// <summary>Which transforms each cluster's routes get: the Supabase ones (credentials, hygiene, leak guard) or SampleWeb's.</summary>
public sealed class GatewayTransforms(
    SupabaseRequestTransform toSupabase,
    SupabaseResponseTransform fromSupabase,
    SampleWebRequestTransform toSampleWeb) : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.Route.ClusterId == GatewayRoutes.SupabaseCluster)
        {
            context.AddPathRemovePrefix("/supabase");
            // Supabase learns the client's address and scheme, not which Host the browser used.
            context.AddXForwardedFor(action: ForwardedTransformActions.Set);
            context.AddXForwardedProto(action: ForwardedTransformActions.Set);
            context.AddXForwardedHost(action: ForwardedTransformActions.Remove);
            context.AddXForwardedPrefix(action: ForwardedTransformActions.Remove);
            context.RequestTransforms.Add(toSupabase);
            context.ResponseTransforms.Add(fromSupabase);
        }
        else
        {
            context.RequestTransforms.Add(toSampleWeb);
        }
    }
}
