using System.Text.Json.Nodes;
using Gateway.Contracts;
using Microsoft.Extensions.Options;
using Proxy.Cookies;
using Proxy.Errors;
using Proxy.Options;
using Proxy.Security;
using Proxy.Sessions;

namespace Proxy.Auth;

/// <summary>
/// The GoTrue routes the Proxy answers itself: sign-ins (token, signup, verify) become server sessions with
/// placeholder bodies; refresh is answered from the cookie; logout ends the matching sessions everywhere.
/// Everything else under /supabase/auth/v1 is plain forwarding (with the minted JWT) by YARP.
/// </summary>
public static class AuthEndpoints
{
    private const string Prefix = "/supabase/auth/v1";

    public static IEndpointRouteBuilder MapAuthInterception(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Prefix + "/token", TokenAsync);
        endpoints.MapPost(Prefix + "/signup", (HttpContext context) => SignInAsync(context, "/auth/v1/signup"));
        endpoints.MapPost(Prefix + "/verify", (HttpContext context) => SignInAsync(context, "/auth/v1/verify"));
        endpoints.MapPost(Prefix + "/logout", LogoutAsync);
        return endpoints;
    }

    private static async Task TokenAsync(HttpContext context)
    {
        var grant = context.Request.Query["grant_type"].ToString();
        if (grant == "refresh_token")
        {
            await RefreshFromCookieAsync(context);
            return;
        }
        await SignInAsync(context, "/auth/v1/token");
    }

    private static async Task SignInAsync(HttpContext context, string upstreamPath)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var ct = context.RequestAborted;
        var limits = options.Limits;
        var body = await Security.LimitedBody.ReadAsync(context.Request, limits.MaxAuthBodyBytes, ct);
        if (body is null)
        {
            await AuthErrors.WriteAsync(context, 413, "request_entity_too_large", $"Request body is larger than {limits.MaxAuthBodyBytes} bytes.");
            return;
        }
        // Rate limits were applied by RateLimitMiddleware. A body GoTrue could not parse never leaves the Proxy.
        if (!IsJsonWithin(body, limits.MaxJsonDepth))
        {
            await AuthErrors.WriteAsync(context, 400, "bad_json", "Could not parse request body as JSON (malformed, or nested deeper than allowed).");
            return;
        }
        GoTrueResponse answer;
        try
        {
            answer = await services.GetRequiredService<GoTrueForwarder>().SendAsync(context, upstreamPath + context.Request.QueryString, body, null, ct);
        }
        catch (HttpRequestException)
        {
            await AuthErrors.WriteAsync(context, 502, "upstream_unavailable", "Supabase Auth is unreachable.");
            return;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            await AuthErrors.WriteAsync(context, 504, "upstream_timeout", "Supabase Auth did not answer in time.");
            return;
        }

        if (answer.Status == 200 && SignInCompleter.TryReadSession(answer.Body, out var session))
        {
            JsonObject placeholder;
            try
            {
                placeholder = await services.GetRequiredService<SignInCompleter>().CompleteAsync(context, session!, ct);
            }
            catch (SessionApiUnavailableException)
            {
                await AuthErrors.WriteAsync(context, 503, "session_store_unavailable", "The session service is unavailable; try again shortly.");
                return;
            }
            AuthFlowCookie.Cancel(context); // signed in at once (autoconfirm): no confirmation link will come back
            context.Response.Headers.CacheControl = "no-store";
            await context.Response.WriteAsJsonAsync(placeholder, ct);
            return;
        }
        // Not JSON (an HTML error page, a truncated body) or tokens we could not take over: never relayed as is.
        if (!LooksLikeJson(answer.Body) || Forwarding.SessionLeakGuard.HoldsSession(answer.Body))
        {
            await AuthErrors.WriteAsync(context, 502, "upstream_invalid_response", "Supabase Auth sent a response the gateway cannot use.");
            return;
        }
        // Errors and session-less answers (signup awaiting confirmation) pass through in GoTrue's own format.
        await WriteUpstreamAsync(context, answer);
    }

    private static async Task RefreshFromCookieAsync(HttpContext context)
    {
        var sessions = context.RequestServices.GetRequiredService<ISessionCache>();
        var lookup = await sessions.WithDetailsAsync(await sessions.LookupAsync(context, context.RequestAborted), context.RequestAborted);
        switch (lookup.State)
        {
            case SessionState.Live:
                var body = context.RequestServices.GetRequiredService<PlaceholderTokens>()
                    .SessionBody(lookup.Session!, context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
                context.Response.Headers.CacheControl = "no-store";
                await context.Response.WriteAsJsonAsync(body, context.RequestAborted);
                return;
            case SessionState.Unavailable:
                await AuthErrors.WriteAsync(context, 503, "session_store_unavailable", "The session service is unavailable; try again shortly.");
                return;
            case SessionState.Ended:
                context.RequestServices.GetRequiredService<SessionCookiePolicy>().Clear(context);
                break;
        }
        await AuthErrors.WriteAsync(context, 400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
    }

    private static async Task LogoutAsync(HttpContext context)
    {
        var scope = context.Request.Query["scope"].ToString();
        var gatewayScope = scope switch
        {
            "" or "global" => "all",
            "local" => "current",
            "others" => "others",
            _ => null,
        };
        if (gatewayScope is null)
        {
            await AuthErrors.WriteAsync(context, 400, "validation_failed", "Unsupported logout scope");
            return;
        }
        var services = context.RequestServices;
        var cookies = services.GetRequiredService<SessionCookiePolicy>();
        var cookie = cookies.Read(context.Request);
        if (cookie is not null && SessionCookiePolicy.LooksValid(cookie))
        {
            try
            {
                Edge.EdgeEndpoints.EvictHere(context, await services.GetRequiredService<SessionApiClient>().RevokeAsync(new RevokeSessionsRequest(cookie, gatewayScope), context.RequestAborted));
            }
            catch (SessionApiUnavailableException)
            {
                await AuthErrors.WriteAsync(context, 503, "session_store_unavailable", "The session service is unavailable; you are not signed out yet.");
                return;
            }
            if (gatewayScope != "others")
            {
                services.GetRequiredService<SessionCache>().Forget(cookie);
            }
        }
        if (gatewayScope != "others")
        {
            cookies.Clear(context);
        }
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task WriteUpstreamAsync(HttpContext context, GoTrueResponse answer)
    {
        context.Response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers)
        {
            context.Response.Headers[name] = value;
        }
        context.Response.Headers.CacheControl = "no-store";
        if (answer.ContentType is not null)
        {
            context.Response.ContentType = answer.ContentType;
        }
        await context.Response.Body.WriteAsync(answer.Body, context.RequestAborted);
    }

    /// <summary>One JSON object within the depth limit (GoTrue's sign-in bodies are flat objects).</summary>
    internal static bool IsJsonWithin(byte[] body, int maxDepth)
    {
        // The reader does not check UTF-8 inside strings it is not asked to decode; GoTrue would choke on it.
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            return false;
        }
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(body, new System.Text.Json.JsonDocumentOptions { MaxDepth = maxDepth });
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static bool LooksLikeJson(byte[] body)
    {
        try
        {
            using var _ = System.Text.Json.JsonDocument.Parse(body);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
