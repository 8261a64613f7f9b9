using Proxy.Errors;

namespace Proxy.Sessions;

/// <summary>
/// Endpoint filter for endpoints that act on the caller's session: runs the handler only for a live session (with its
/// details), answers the <see cref="SessionGate"/> refusal otherwise, and turns a SessionApi failure inside the handler
/// into 503 (fail closed). The handler reads the session through a <see cref="CurrentSession"/> parameter.
/// </summary>
public sealed class RequireLiveSession(SessionGate gate) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var lookup = await gate.LookupAsync(context, withDetails: true);
        if (gate.Refuse(context, lookup, anonymousAllowed: false) is { } refusal)
        {
            return GatewayErrors.Result(refusal);
        }
        try
        {
            return await next(invocation);
        }
        catch (SessionApiUnavailableException)
        {
            return GatewayErrors.Result(GatewayErrors.SessionStoreUnavailable);
        }
    }
}

/// <summary>The live session of a request that passed <see cref="RequireLiveSession"/> (a handler parameter).</summary>
public sealed class CurrentSession
{
    private readonly SessionFeature _feature;

    private CurrentSession(SessionFeature feature) => _feature = feature;

    private SessionLookup Lookup => _feature.Lookup is { State: SessionState.Live, Session: not null, Cookie: not null } lookup
        ? lookup
        : throw new InvalidOperationException("CurrentSession is only available behind RequireLiveSession.");

    /// <summary>The cookie value (the SessionApi's handle on the session).</summary>
    public string Cookie => Lookup.Cookie!;

    public Gateway.Contracts.SessionView Session => Lookup.Session!.Session;

    /// <summary>Bound from the request's <see cref="SessionFeature"/>; read only once the filter has run.</summary>
    public static ValueTask<CurrentSession?> BindAsync(HttpContext context) => ValueTask.FromResult<CurrentSession?>(new CurrentSession(SessionFeature.Of(context)));
}
