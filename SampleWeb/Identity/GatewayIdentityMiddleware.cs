namespace SampleWeb.Identity;

/// <summary>
/// Runs before routing: turns the Proxy's headers into <see cref="GatewayUserHttpContextExtensions.GatewayUser"/>
/// (which picks the page variant) and <see cref="GatewayUserHttpContextExtensions.SessionProblem"/> (the banner).
/// </summary>
public sealed class GatewayIdentityMiddleware(RequestDelegate next, GatewayIdentityValidator validator)
{
    public const string IdentityHeader = "X-Gateway-Identity";
    public const string SessionHeader = "X-Gateway-Session";

    public async Task InvokeAsync(HttpContext context)
    {
        // Re-executed requests (error and status code pages) keep what the first pass found.
        if (!context.IsIdentified())
        {
            await IdentifyAsync(context);
        }
        await next(context);
    }

    private async Task IdentifyAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (headers[IdentityHeader].ToString() is { Length: > 0 } assertion)
        {
            var (verdict, user) = await validator.ValidateAsync(assertion, context.RequestAborted);
            switch (verdict)
            {
                case IdentityVerdict.Verified:
                    context.SetGatewayUser(user!);
                    context.SetSessionProblem(SessionProblem.None);
                    return;
                case IdentityVerdict.KeysUnavailable:
                    context.SetSessionProblem(SessionProblem.Unavailable);
                    return;
            }
        }
        var problem = headers[SessionHeader].ToString() switch
        {
            "ended" => SessionProblem.Ended,
            "unavailable" => SessionProblem.Unavailable,
            _ => SessionProblem.None,
        };
        context.SetSessionProblem(problem);
    }
}
