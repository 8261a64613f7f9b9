using System.Text.Json.Nodes;
using Gateway.Contracts;
using Microsoft.Extensions.Options;
using Proxy.Cookies;
using Proxy.Errors;
using Proxy.Options;
using Proxy.Routing;
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
    /// <summary>The services a sign-in needs (bound by ASP.NET Core, not looked up).</summary>
    internal sealed record SignInServices(IOptions<GatewayOptions> Options, GoTrueForwarder GoTrue, SignInCompleter Completer);

    /// <summary>The services a refresh or logout needs.</summary>
    internal sealed record SessionServices(SessionGate Gate, PlaceholderTokens Placeholders, TimeProvider Time, SessionApiClient SessionApi,
        SessionCache Cache, SessionCookiePolicy Cookies);

    /// <summary>Maps the intercepted routes onto the auth group of the route table (GoTrue's API policies come from the group).</summary>
    public static IEndpointRouteBuilder MapAuthInterception(this IEndpointRouteBuilder auth)
    {
        auth.MapPost("/token", TokenAsync).AsSignIn().RequireRateLimiting(RateLimitPolicies.Token);
        auth.MapPost("/signup", SignUpAsync).AsSignIn().RequireRateLimiting(RateLimitPolicies.SignIn)
            .WithMetadata(new RoutePolicies.ServerPkceStart("POST", "signup"));
        auth.MapPost("/verify", VerifyAsync).AsSignIn().RequireRateLimiting(RateLimitPolicies.SignIn);
        auth.MapPost("/logout", LogoutAsync);
        return auth;
    }

    private static Task TokenAsync(HttpContext context, [AsParameters] SignInServices signIn, [AsParameters] SessionServices sessions) =>
        context.Request.Query["grant_type"].ToString() == "refresh_token"
            ? RefreshFromCookieAsync(context, sessions)
            : SignInAsync(context, "/auth/v1/token", signIn);

    private static Task SignUpAsync(HttpContext context, [AsParameters] SignInServices signIn) => SignInAsync(context, "/auth/v1/signup", signIn);

    private static Task VerifyAsync(HttpContext context, [AsParameters] SignInServices signIn) => SignInAsync(context, "/auth/v1/verify", signIn);

    private static async Task SignInAsync(HttpContext context, string upstreamPath, SignInServices services)
    {
        var ct = context.RequestAborted;
        var limits = services.Options.Value.Limits;
        var body = await LimitedBody.ReadAsync(context.Request, limits.MaxAuthBodyBytes, ct);
        if (body is null)
        {
            await GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.BodyLargerThan(limits.MaxAuthBodyBytes));
            return;
        }
        // Rate limits were applied by the route's policy. A body GoTrue could not parse never leaves the Proxy.
        if (!IsJsonWithin(body, limits.MaxJsonDepth))
        {
            await GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.BadJson);
            return;
        }
        GoTrueResponse answer;
        try
        {
            answer = await services.GoTrue.SendAsync(context, upstreamPath + context.Request.QueryString, body, null, ct);
        }
        catch (HttpRequestException)
        {
            await GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.UpstreamUnavailable);
            return;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            await GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.UpstreamTimeout);
            return;
        }

        if (answer.Status == 200 && SignInCompleter.TryReadSession(answer.Body, out var session))
        {
            JsonObject placeholder;
            try
            {
                placeholder = await services.Completer.CompleteAsync(context, session!, ct);
            }
            catch (SessionApiUnavailableException)
            {
                await GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.SessionStoreUnavailable);
                return;
            }
            AuthFlowCookie.Cancel(context); // signed in at once (autoconfirm): no confirmation link will come back
            await context.Response.WriteAsJsonAsync(placeholder, ct);
            return;
        }
        // Not JSON (an HTML error page, a truncated body) or tokens we could not take over: never relayed as is.
        if (!LooksLikeJson(answer.Body) || Forwarding.SessionLeakGuard.HoldsSession(answer.Body))
        {
            await GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.UpstreamInvalidResponse);
            return;
        }
        // Errors and session-less answers (signup awaiting confirmation) pass through in GoTrue's own format.
        await WriteUpstreamAsync(context, answer);
    }

    /// <summary>
    /// The refresh grant answered from the cookie. GoTrue's contract for a refresh that cannot be served is 400
    /// refresh_token_not_found (supabase-js then signs out), so an ended or missing session answers that; only an
    /// unreachable session store is the gate's 503.
    /// </summary>
    private static async Task RefreshFromCookieAsync(HttpContext context, SessionServices services)
    {
        var lookup = await services.Gate.LookupAsync(context, withDetails: true);
        var refusal = services.Gate.Refuse(context, lookup, anonymousAllowed: false);
        if (refusal is null)
        {
            await context.Response.WriteAsJsonAsync(services.Placeholders.SessionBody(lookup.Session!, services.Time.GetUtcNow()), context.RequestAborted);
            return;
        }
        await GatewayErrors.WriteAsGoTrueAsync(context, refusal == GatewayErrors.SessionStoreUnavailable ? refusal : GatewayErrors.RefreshTokenNotFound);
    }

    private static async Task LogoutAsync(HttpContext context, [AsParameters] SessionServices services)
    {
        var gatewayScope = context.Request.Query["scope"].ToString() switch
        {
            "" or "global" => "all",
            "local" => "current",
            "others" => "others",
            _ => null,
        };
        if (gatewayScope is null)
        {
            await GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.ValidationFailed.Saying("Unsupported logout scope"));
            return;
        }
        if (SessionFeature.Of(context).PlausibleCookie is { } cookie)
        {
            try
            {
                services.Cache.EvictRevoked(await services.SessionApi.RevokeAsync(new RevokeSessionsRequest(cookie, gatewayScope), context.RequestAborted));
            }
            catch (SessionApiUnavailableException)
            {
                await GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.SessionStoreUnavailable.Saying("The session service is unavailable; you are not signed out yet."));
                return;
            }
            if (gatewayScope != "others")
            {
                services.Cache.Forget(cookie);
            }
        }
        if (gatewayScope != "others")
        {
            services.Cookies.Clear(context);
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
