using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace SupabaseEmulator.GoTrue;

/// <summary>POST /otp, /magiclink, /recover and POST/GET /verify (docs/supabase-contract.md §1.10). Mails land in the outbox.</summary>
public static class EmailEndpoints
{
    public static async Task<IResult> OtpAsync(HttpContext context, AuthUsers users, EmailLinks links, RedirectUrls redirects, IOptions<EmulatorOptions> options, CancellationToken ct)
    {
        if (await JsonBody.ReadAsync(context.Request, ct) is not { } body)
        {
            return JsonBody.BadJson(context);
        }
        var createUser = context.Request.Path.Value!.EndsWith("/magiclink", StringComparison.Ordinal) || (body.Bool("create_user") ?? true);
        return await SendAsync(context, body, createUser, recovery: false, users, links, redirects, options.Value, ct);
    }

    public static async Task<IResult> RecoverAsync(HttpContext context, AuthUsers users, EmailLinks links, RedirectUrls redirects, IOptions<EmulatorOptions> options, CancellationToken ct)
    {
        if (await JsonBody.ReadAsync(context.Request, ct) is not { } body)
        {
            return JsonBody.BadJson(context);
        }
        return await SendAsync(context, body, createUser: false, recovery: true, users, links, redirects, options.Value, ct);
    }

    private static async Task<IResult> SendAsync(HttpContext context, JsonObject body, bool createUser, bool recovery, AuthUsers users, EmailLinks links,
        RedirectUrls redirects, EmulatorOptions options, CancellationToken ct)
    {
        var email = body.String("email")?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(email))
        {
            return body.String("phone") is { Length: > 0 }
                ? GoTrueErrors.Error(context, 422, "phone_provider_disabled", "Unsupported phone provider")
                : GoTrueErrors.Error(context, 400, "validation_failed", "An email address is required");
        }
        var (pkce, pkceError) = PkceChallenge.Parse(body.String("code_challenge"), body.String("code_challenge_method"));
        if (pkceError is not null)
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", pkceError);
        }
        var redirectTo = redirects.Resolve(context.Request.Query["redirect_to"].ToString());
        var user = await users.FindByEmailAsync(email, ct);
        if (user is null)
        {
            if (recovery)
            {
                return Results.Json(new JsonObject()); // never reveals whether the account exists
            }
            if (!createUser || !options.EnableSignup)
            {
                return GoTrueErrors.Error(context, 422, "otp_disabled", "Signups not allowed for otp");
            }
            user = await users.CreateAsync(new NewUser(email, null, false, body["data"] as JsonObject ?? [], "email"), ct)
                ?? await users.FindByEmailAsync(email, ct);
        }
        var type = recovery ? "recovery" : user!.EmailConfirmedAt is null ? "signup" : "magiclink";
        await links.SendAsync(user!, type, redirectTo, pkce, ct);
        return Results.Json(new JsonObject());
    }

    /// <summary>POST /verify: {type, token, email} or {type, token_hash} → a session.</summary>
    public static async Task<IResult> VerifyPostAsync(HttpContext context, AuthUsers users, EmailLinks links, SignIns signIns, TimeProvider time, CancellationToken ct)
    {
        if (await JsonBody.ReadAsync(context.Request, ct) is not { } body)
        {
            return JsonBody.BadJson(context);
        }
        var type = body.String("type");
        if (string.IsNullOrEmpty(type))
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "Verify requires a verification type");
        }
        if (EmailLinks.TokenTypes(type).Length == 0)
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", $"Unsupported verification type: {type}");
        }
        ConsumedToken? consumed;
        if (body.String("token_hash") is { Length: > 0 } tokenHash)
        {
            consumed = await links.ConsumeHashAsync(tokenHash, type, ct);
        }
        else if (body.String("token") is { Length: > 0 } token && body.String("email") is { Length: > 0 } email)
        {
            consumed = await links.ConsumeOtpAsync(email.Trim(), token.Trim(), type, ct);
        }
        else
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "Verify requires either a token or a token hash");
        }
        if (consumed is null || await users.FindByIdAsync(consumed.UserId, ct) is not { } user)
        {
            return GoTrueErrors.Error(context, 403, "otp_expired", "Token has expired or is invalid");
        }
        if (user.IsBanned(time.GetUtcNow()))
        {
            return GoTrueErrors.Error(context, 400, "user_banned", "User is banned");
        }
        await users.ConfirmEmailAsync(user.Id, ct);
        return Results.Json(await signIns.StartSessionAsync(user, EmailLinks.AmrMethod(type), null, ct));
    }

    /// <summary>GET /verify (the link in the mail): 303 with tokens in the fragment, or ?code= for a pkce_ token.</summary>
    public static async Task<IResult> VerifyGetAsync(HttpContext context, AuthUsers users, EmailLinks links, FlowStates flows, SignIns signIns,
        RedirectUrls redirects, CancellationToken ct)
    {
        var query = context.Request.Query;
        var token = query["token"].ToString();
        var type = query["type"].ToString();
        var redirectTo = redirects.Resolve(query["redirect_to"].ToString());
        var pkce = token.StartsWith("pkce_", StringComparison.Ordinal);
        if (token.Length == 0 || EmailLinks.TokenTypes(type).Length == 0)
        {
            return ErrorRedirect(redirectTo, pkce, "validation_failed", "Verify requires a token and a supported type");
        }
        if (await links.ConsumeHashAsync(token, type, ct) is not { } consumed || await users.FindByIdAsync(consumed.UserId, ct) is not { } user)
        {
            return ErrorRedirect(redirectTo, pkce, "otp_expired", "Email link is invalid or has expired");
        }
        await users.ConfirmEmailAsync(user.Id, ct);
        if (pkce)
        {
            if (await flows.FindLatestForUserAsync(user.Id, EmailLinks.AmrMethod(type), ct) is not { } flow)
            {
                return ErrorRedirect(redirectTo, pkce, "flow_state_not_found", "No valid flow state found for this link");
            }
            var code = await flows.IssueAuthCodeAsync(flow.Id, user.Id, null, ct);
            return SeeOther(RedirectUrls.WithQuery(flow.RedirectTo ?? redirectTo, [new("code", code)]));
        }
        var session = await signIns.StartSessionAsync(user, EmailLinks.AmrMethod(type), null, ct);
        return SeeOther(redirectTo.Split('#')[0] + "#" + AccessTokens.Fragment(session, type));
    }

    private static IResult ErrorRedirect(string redirectTo, bool inQueryToo, string code, string description)
    {
        var parameters = new List<KeyValuePair<string, string>> { new("error", "access_denied"), new("error_code", code), new("error_description", description) };
        var fragment = string.Join('&', parameters.Append(new("sb", "")).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        var target = inQueryToo ? RedirectUrls.WithQuery(redirectTo, parameters) : redirectTo.Split('#')[0];
        return SeeOther(target + "#" + fragment);
    }

    private static IResult SeeOther(string location) => new SeeOtherResult(location);

    /// <summary>GoTrue answers email links with 303, not 302.</summary>
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
