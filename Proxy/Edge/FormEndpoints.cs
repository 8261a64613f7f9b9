using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Contracts;
using Proxy.Auth;
using Proxy.Cookies;
using Proxy.Errors;
using Proxy.Routing;
using Proxy.Security;
using Proxy.Sessions;

namespace Proxy.Edge;

/// <summary>
/// Plain HTML form posts for pages that work without JavaScript: each answers 303 to a local path (never an
/// absolute or protocol-relative URL) with errors as query codes the page turns into messages.
/// </summary>
public static class FormEndpoints
{
    /// <summary>The services a sign-in form needs (bound by ASP.NET Core, not looked up).</summary>
    internal sealed record SignInServices(GoTrueForwarder GoTrue, SignInCompleter Completer);

    /// <summary>The services sign-out and revoke need.</summary>
    internal sealed record SessionServices(SessionApiClient SessionApi, SessionCache Cache, SessionCookiePolicy Cookies);

    /// <summary>Maps the forms onto the /edge/v1 group of the route table.</summary>
    public static IEndpointRouteBuilder MapFormEndpoints(this IEndpointRouteBuilder edge)
    {
        var forms = edge.MapGroup("/forms").DisableAntiforgery();
        forms.MapPost("/sign-in", SignInAsync).AsSignIn().RequireRateLimiting(RateLimitPolicies.SignIn).WithMetadata(new RoutePolicies.HtmlForm("/sign-in"));
        forms.MapPost("/sign-up", SignUpAsync).AsSignIn().RequireRateLimiting(RateLimitPolicies.SignIn).WithMetadata(new RoutePolicies.HtmlForm("/sign-up"));
        forms.MapPost("/sign-out", SignOutAsync);
        forms.MapPost("/sessions/{id}/revoke", RevokeAsync).AddEndpointFilter<RequireLiveSession>();
        return edge;
    }

    private static async Task<IResult> SignInAsync(HttpContext context, [AsParameters] SignInServices services)
    {
        if (await ReadFormAsync(context) is not { } form)
        {
            return Back("/sign-in", "validation_failed", "/");
        }
        var body = new JsonObject { ["email"] = form["email"].ToString(), ["password"] = form["password"].ToString() };
        return await SubmitAsync(context, services, "/auth/v1/token?grant_type=password", body, FormReturn.From("/sign-in", form));
    }

    private static async Task<IResult> SignUpAsync(HttpContext context, [AsParameters] SignInServices services)
    {
        if (await ReadFormAsync(context) is not { } form)
        {
            return Back("/sign-up", "validation_failed", "/");
        }
        var body = new JsonObject
        {
            ["email"] = form["email"].ToString(),
            ["password"] = form["password"].ToString(),
            ["data"] = new JsonObject { ["display_name"] = form["display_name"].ToString() },
        };
        return await SubmitAsync(context, services, "/auth/v1/signup", body, FormReturn.From("/sign-up", form));
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, [AsParameters] SessionServices services)
    {
        var form = await ReadFormAsync(context);
        var scope = form?["scope"].ToString() switch { "others" => "others", "global" => "all", _ => "current" };
        if (SessionFeature.Of(context).PlausibleCookie is { } cookie)
        {
            try
            {
                services.Cache.EvictRevoked(await services.SessionApi.RevokeAsync(new RevokeSessionsRequest(cookie, scope), context.RequestAborted));
            }
            catch (SessionApiUnavailableException)
            {
                return SeeOther("/account?error=" + GatewayErrors.SessionStoreUnavailable.Code);
            }
            if (scope != "others")
            {
                services.Cache.Forget(cookie);
            }
        }
        if (scope == "others")
        {
            return SeeOther("/account?notice=signed-out-others");
        }
        services.Cookies.Clear(context);
        return SeeOther("/?notice=signed-out");
    }

    private static async Task<IResult> RevokeAsync(string id, CurrentSession current, [AsParameters] SessionServices services, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var sessionId))
        {
            return SeeOther("/account?error=validation_failed");
        }
        var revoked = await services.SessionApi.RevokeAsync(new RevokeSessionsRequest(current.Cookie, "one", sessionId.ToString()), ct);
        services.Cache.EvictRevoked(revoked);
        return SeeOther(revoked is { Revoked.Count: > 0 } ? "/account?notice=revoked" : "/account?error=session_not_found");
    }

    /// <summary>
    /// A form refused before its handler ran (the rate limiter): back to its page with the error code, the return URL
    /// and the typed email, like a refusal from GoTrue.
    /// </summary>
    public static async Task BackWithErrorAsync(HttpContext context, string error)
    {
        var page = context.RoutePolicy<RoutePolicies.HtmlForm>()?.Page ?? "/";
        var back = await ReadFormAsync(context) is { } form ? FormReturn.From(page, form).WithError(error) : Back(page, "validation_failed", "/");
        await back.ExecuteAsync(context);
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, SignInServices services, string upstream, JsonObject body, FormReturn back)
    {
        var returnUrl = back.ReturnUrl;
        GoTrueResponse answer;
        try
        {
            context.Request.Headers[GatewayErrors.ApiVersionHeader] = GatewayErrors.ApiVersion; // ask GoTrue for string error codes
            answer = await services.GoTrue.SendAsync(context, upstream, Encoding.UTF8.GetBytes(body.ToJsonString()), null, context.RequestAborted);
        }
        catch (HttpRequestException)
        {
            return back.WithError(GatewayErrors.UpstreamUnavailable.Code);
        }
        catch (TaskCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            return back.WithError(GatewayErrors.UpstreamUnavailable.Code);
        }
        if (answer.Status == 200 && SignInCompleter.TryReadSession(answer.Body, out var session))
        {
            try
            {
                await services.Completer.CompleteAsync(context, session!, context.RequestAborted);
            }
            catch (SessionApiUnavailableException)
            {
                return back.WithError(GatewayErrors.SessionStoreUnavailable.Code);
            }
            return SeeOther(returnUrl);
        }
        if (answer.Status == 200)
        {
            return SeeOther($"/sign-in?notice=confirm-email&return_url={Uri.EscapeDataString(returnUrl)}{back.EmailQuery}");
        }
        return back.WithError(ErrorCode(answer.Body));
    }

    /// <summary>The posted form, or null when the body is not a (small) form.</summary>
    private static async Task<IFormCollection?> ReadFormAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType || context.Request.ContentLength > 64 * 1024)
        {
            return null;
        }
        try
        {
            return await context.Request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions
            {
                ValueCountLimit = 32,
                ValueLengthLimit = 16 * 1024,
                MultipartBodyLengthLimit = 64 * 1024,
            }, context.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return null;
        }
    }

    private static string ErrorCode(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String)
            {
                return code.GetString()!;
            }
            if (root.TryGetProperty("error_code", out var errorCode) && errorCode.ValueKind == JsonValueKind.String)
            {
                return errorCode.GetString()!;
            }
        }
        catch (JsonException)
        {
        }
        return "unexpected_failure";
    }

    private static IResult Back(string page, string error, string returnUrl) =>
        SeeOther($"{page}?error={Uri.EscapeDataString(error)}&return_url={Uri.EscapeDataString(returnUrl)}");

    private static IResult SeeOther(string location) => new SeeOtherResult(location);

    /// <summary>
    /// Where a failed sign-in or sign-up form goes back to: the form page with the error code, the return URL and the
    /// email the visitor typed (so a wrong password does not cost them the email too). The password is never echoed.
    /// </summary>
    private sealed record FormReturn(string Page, string ReturnUrl, string? Email)
    {
        public static FormReturn From(string page, IFormCollection form) => new(page, OriginPolicy.SafeLocalPath(form["return_url"]), form["email"]);

        // An address longer than RFC 5321 allows, or one with control characters, is not worth keeping.
        public string EmailQuery => Email is { Length: > 0 and <= 254 } email && !email.Any(char.IsControl)
            ? "&email=" + Uri.EscapeDataString(email.Trim())
            : "";

        public IResult WithError(string error) =>
            SeeOther($"{Page}?error={Uri.EscapeDataString(error)}&return_url={Uri.EscapeDataString(ReturnUrl)}{EmailQuery}");
    }

    private sealed class SeeOtherResult(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}
