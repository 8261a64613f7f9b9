using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Contracts;
using Proxy.Auth;
using Proxy.Cookies;
using Proxy.Security;
using Proxy.Sessions;

namespace Proxy.Edge;

/// <summary>
/// Plain HTML form posts for pages that work without JavaScript: each answers 303 to a local path (never an
/// absolute or protocol-relative URL) with errors as query codes the page turns into messages.
/// </summary>
public static class FormEndpoints
{
    public static IEndpointRouteBuilder MapFormEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var forms = endpoints.MapGroup("/edge/v1/forms").DisableAntiforgery();
        forms.MapPost("/sign-in", async (HttpContext context) =>
        {
            if (await ReadFormAsync(context) is not { } form)
            {
                return Back("/sign-in", "validation_failed", "/");
            }
            var returnUrl = OriginPolicy.SafeLocalPath(form["return_url"]);
            var body = new JsonObject { ["email"] = form["email"].ToString(), ["password"] = form["password"].ToString() };
            return await SignInAsync(context, "/auth/v1/token?grant_type=password", body, new FormReturn("/sign-in", returnUrl, form["email"]));
        });
        forms.MapPost("/sign-up", async (HttpContext context) =>
        {
            if (await ReadFormAsync(context) is not { } form)
            {
                return Back("/sign-up", "validation_failed", "/");
            }
            var returnUrl = OriginPolicy.SafeLocalPath(form["return_url"]);
            var body = new JsonObject
            {
                ["email"] = form["email"].ToString(),
                ["password"] = form["password"].ToString(),
                ["data"] = new JsonObject { ["display_name"] = form["display_name"].ToString() },
            };
            return await SignInAsync(context, "/auth/v1/signup", body, new FormReturn("/sign-up", returnUrl, form["email"]));
        });
        forms.MapPost("/sign-out", async (HttpContext context, SessionApiClient sessionApi, SessionCookiePolicy cookies, SessionCache cache) =>
        {
            var form = await ReadFormAsync(context);
            var scope = form?["scope"].ToString() switch { "others" => "others", "global" => "all", _ => "current" };
            var cookie = cookies.Read(context.Request);
            if (cookie is not null && SessionCookiePolicy.LooksValid(cookie))
            {
                try
                {
                    EdgeEndpoints.EvictHere(context, await sessionApi.RevokeAsync(new RevokeSessionsRequest(cookie, scope), context.RequestAborted));
                }
                catch (SessionApiUnavailableException)
                {
                    return SeeOther("/account?error=session_store_unavailable");
                }
                if (scope != "others")
                {
                    cache.Forget(cookie);
                }
            }
            if (scope == "others")
            {
                return SeeOther("/account?notice=signed-out-others");
            }
            cookies.Clear(context);
            return SeeOther("/?notice=signed-out");
        });
        forms.MapPost("/sessions/{id}/revoke", (HttpContext context, string id, SessionApiClient sessionApi) =>
            EdgeEndpoints.WithSessionAsync(context, async (lookup, ct) =>
            {
                if (!Guid.TryParse(id, out var sessionId))
                {
                    return SeeOther("/account?error=validation_failed");
                }
                var revoked = await sessionApi.RevokeAsync(new RevokeSessionsRequest(lookup.Cookie!, "one", sessionId.ToString()), ct);
                EdgeEndpoints.EvictHere(context, revoked);
                return SeeOther(revoked is { Revoked.Count: > 0 } ? "/account?notice=revoked" : "/account?error=session_not_found");
            }));
        return endpoints;
    }

    private static async Task<IResult> SignInAsync(HttpContext context, string upstream, JsonObject body, FormReturn back)
    {
        var returnUrl = back.ReturnUrl;
        var services = context.RequestServices;
        try
        {
            if (await services.GetRequiredService<GatewayRateLimiter>().RetryAfterAsync(context, Options.RateLimitKind.SignIn, context.RequestAborted) is not null)
            {
                return back.WithError("over_request_rate_limit");
            }
        }
        catch (SessionApiUnavailableException)
        {
            return back.WithError("session_store_unavailable");
        }
        GoTrueResponse answer;
        try
        {
            context.Request.Headers["X-Supabase-Api-Version"] = "2024-01-01"; // ask GoTrue for string error codes
            answer = await services.GetRequiredService<GoTrueForwarder>().SendAsync(context, upstream, Encoding.UTF8.GetBytes(body.ToJsonString()), null, context.RequestAborted);
        }
        catch (HttpRequestException)
        {
            return back.WithError("upstream_unavailable");
        }
        catch (TaskCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            return back.WithError("upstream_unavailable");
        }
        if (answer.Status == 200 && SignInCompleter.TryReadSession(answer.Body, out var session))
        {
            try
            {
                await services.GetRequiredService<SignInCompleter>().CompleteAsync(context, session!, context.RequestAborted);
            }
            catch (SessionApiUnavailableException)
            {
                return back.WithError("session_store_unavailable");
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
