using Proxy.Errors;
using Proxy.Sessions;

namespace Proxy.Forwarding;

/// <summary>
/// Resolves the caller's session before forwarding (the transforms read it from the <see cref="SessionFeature"/>).
/// To Supabase a cookie that is not live never falls back to anonymous (<see cref="SessionGate"/>'s refusal); SampleWeb
/// pages are served anonymously with X-Gateway-Session instead, and get the session's identity assertion.
/// </summary>
public sealed class ForwardedSessionStep(RequestDelegate next, SessionGate gate)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var toSupabase = GatewayForwarding.ToSupabase(context);
        if (toSupabase && !UpstreamPath.IsCanonical(context.Request.Path))
        {
            await GatewayErrors.WriteAsync(context, GatewayErrors.MalformedPath);
            return;
        }
        var lookup = await gate.LookupAsync(context, withDetails: !toSupabase);
        var refusal = gate.Refuse(context, lookup, anonymousAllowed: true);
        if (toSupabase && refusal is not null)
        {
            await GatewayErrors.WriteAsync(context, refusal);
            return;
        }
        await next(context);
    }
}
