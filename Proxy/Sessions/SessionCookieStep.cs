using Proxy.Cookies;

namespace Proxy.Sessions;

/// <summary>The pipeline's session step: reads the Cookie header once into the request's <see cref="SessionFeature"/>.</summary>
public sealed class SessionCookieStep(RequestDelegate next, SessionCookiePolicy cookies)
{
    public Task InvokeAsync(HttpContext context)
    {
        context.Features.Set(cookies.Parse(context.Request));
        return next(context);
    }
}
