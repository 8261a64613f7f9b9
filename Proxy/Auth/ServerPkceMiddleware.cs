using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Options;
using Proxy.Errors;
using Proxy.Options;
using Proxy.Routing;

namespace Proxy.Auth;

/// <summary>
/// Turns a redirecting sign-in request that carries no <c>code_challenge</c> into a gateway-owned PKCE flow (see
/// <see cref="ServerPkce"/>): OAuth (<c>GET /authorize</c>, identity linking) gets the challenge in its query, and
/// every route that mails a link (OTP/magic link, recovery, resend, sign-up confirmation, email change, SSO) gets it
/// in its JSON body; either way <c>redirect_to</c> becomes the gateway callback. A request that brings its own
/// challenge is the client's PKCE flow and passes untouched. Which routes start a flow, and which link they mail, is
/// their <see cref="RoutePolicies.ServerPkceStart"/> policy in the route table. Runs after the redirect allow-list
/// accepted the target.
/// </summary>
public sealed class ServerPkceMiddleware(RequestDelegate next, ServerPkce pkce, IOptions<GatewayOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var started = context.RoutePolicy<RoutePolicies.ServerPkceStart>() is { } start && HttpMethods.Equals(request.Method, start.Method)
            ? start.LinkType is not { } kind
                ? await StartOAuthAsync(context)
                : !IsJson(request) || await StartEmailLinkAsync(context, kind)
            : true;
        if (started)
        {
            await next(context);
        }
    }

    private async Task<bool> StartOAuthAsync(HttpContext context)
    {
        var query = context.Request.Query;
        if (query["code_challenge"].Any(v => !string.IsNullOrEmpty(v)) || query["code_challenge_method"].Any(v => !string.IsNullOrEmpty(v)))
        {
            return true; // the client's own PKCE flow: its code comes back to it and is exchanged through the interception
        }
        var flow = pkce.Start(context, type: null, FirstRedirect(context, null), ServerPkce.OAuthLifetime);
        if (flow is null)
        {
            return await RefuseHostAsync(context);
        }
        var rewritten = new QueryBuilder();
        foreach (var (key, values) in query)
        {
            if (!key.Equals("redirect_to", StringComparison.OrdinalIgnoreCase) && key is not ("code_challenge" or "code_challenge_method"))
            {
                foreach (var value in values)
                {
                    rewritten.Add(key, value ?? "");
                }
            }
        }
        rewritten.Add("redirect_to", flow.CallbackUrl);
        rewritten.Add("code_challenge", flow.Challenge);
        rewritten.Add("code_challenge_method", "s256");
        context.Request.QueryString = rewritten.ToQueryString();
        context.Request.Headers.Remove("redirect_to");
        return true;
    }

    private async Task<bool> StartEmailLinkAsync(HttpContext context, string kind)
    {
        var request = context.Request;
        request.EnableBuffering();
        var bytes = await Security.LimitedBody.ReadAsync(request, options.Value.Limits.MaxAuthBodyBytes, context.RequestAborted);
        request.Body.Position = 0;
        if (bytes is null || !AuthEndpoints.IsJsonWithin(bytes, options.Value.Limits.MaxJsonDepth))
        {
            return true; // too large or not JSON: refused further on (413 / bad_json), never sent anywhere as it is
        }
        if (ParseObject(bytes) is not { } body)
        {
            // A repeated name: GoTrue would take the last one, we cannot tell which flow was meant.
            await GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.BadJson.Saying("Could not parse request body as JSON (a name appears twice)."));
            return false;
        }
        // auth-js sends "code_challenge": null on the implicit flow; only a value is the client's own PKCE flow.
        if (HasText(body, "code_challenge") || HasText(body, "code_challenge_method") || !MailsALink(kind, body, out var type))
        {
            return true;
        }
        var flow = pkce.Start(context, type, FirstRedirect(context, body), ServerPkce.EmailLinkLifetime);
        if (flow is null)
        {
            return await RefuseHostAsync(context);
        }
        // Go matches JSON names case-insensitively (the last one wins): no other spelling may survive next to ours.
        foreach (var name in body.Select(p => p.Key).Where(k => IsRedirectField(k) || IsPkceField(k)).ToList())
        {
            body.Remove(name);
        }
        body["code_challenge"] = flow.Challenge;
        body["code_challenge_method"] = "s256";
        if (kind == "sso")
        {
            body["redirect_to"] = flow.CallbackUrl; // /sso reads its target from the body
        }
        var rewritten = System.Text.Encoding.UTF8.GetBytes(body.ToJsonString());
        request.Body = new MemoryStream(rewritten);
        request.ContentLength = rewritten.Length;
        var query = new QueryBuilder(request.Query.Where(q => !q.Key.Equals("redirect_to", StringComparison.OrdinalIgnoreCase))
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))))
        {
            { "redirect_to", flow.CallbackUrl },
        };
        request.QueryString = query.ToQueryString();
        request.Headers.Remove("redirect_to");
        return true;
    }

    private static JsonObject? ParseObject(byte[] bytes)
    {
        try
        {
            var body = JsonNode.Parse(bytes) as JsonObject;
            _ = body?.Count; // properties are materialised lazily; duplicates throw here
            return body;
        }
        catch (Exception e) when (e is ArgumentException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static bool HasText(JsonObject body, string name) =>
        body.Any(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase) && p.Value is JsonValue value && (!value.TryGetValue<string>(out var text) || text.Length > 0));

    private static bool IsPkceField(string name) =>
        name.Equals("code_challenge", StringComparison.OrdinalIgnoreCase) || name.Equals("code_challenge_method", StringComparison.OrdinalIgnoreCase);

    /// <summary>Only email-address flows mail a link; phone OTPs, anonymous sign-ups and password-only updates do not.</summary>
    private static bool MailsALink(string kind, JsonObject body, out string type)
    {
        type = kind;
        bool HasEmail() => body["email"] is JsonValue email && email.TryGetValue<string>(out var text) && text.Length > 0;
        switch (kind)
        {
            case "recovery" or "sso":
                return true;
            case "*":
                type = body["type"] is JsonValue t && t.TryGetValue<string>(out var resendType) ? resendType : "";
                return type is "signup" or "email_change";
            default:
                return HasEmail();
        }
    }

    private static bool IsRedirectField(string name) =>
        name.Equals("redirect_to", StringComparison.OrdinalIgnoreCase) || name.Equals("email_redirect_to", StringComparison.OrdinalIgnoreCase);

    /// <summary>Where the app asked GoTrue to send the browser (GoTrue's order: header, query, then the body for /sso).</summary>
    private static string? FirstRedirect(HttpContext context, JsonObject? body)
    {
        if (context.Request.Headers["redirect_to"].FirstOrDefault() is { Length: > 0 } header)
        {
            return header;
        }
        foreach (var (key, values) in context.Request.Query)
        {
            if (key.Equals("redirect_to", StringComparison.OrdinalIgnoreCase) && values.FirstOrDefault() is { Length: > 0 } value)
            {
                return value;
            }
        }
        return body?.Where(p => IsRedirectField(p.Key)).Select(p => p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null)
            .FirstOrDefault(s => !string.IsNullOrEmpty(s));
    }

    private static async Task<bool> RefuseHostAsync(HttpContext context)
    {
        await GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.ValidationFailed.Saying("Sign-in flows must start on one of the gateway's public origins."));
        return false;
    }

    private static bool IsJson(HttpRequest request) => request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true;
}
