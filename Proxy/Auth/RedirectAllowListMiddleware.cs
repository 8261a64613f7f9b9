using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Proxy.Errors;
using Proxy.Options;
using Proxy.Routing;

namespace Proxy.Auth;

/// <summary>
/// Refuses (400 validation_failed, in GoTrue's format) any request to a route with the <see cref="RoutePolicies.AuthApi"/>
/// policy (GoTrue's API) naming a redirect target
/// that is not allowed, before it reaches GoTrue or the sign-in interception. It looks everywhere GoTrue reads one:
/// the <c>redirect_to</c> header, query and form values, and top-level JSON body fields (Go matches JSON names
/// case-insensitively, so we do too).
/// </summary>
public sealed class RedirectAllowListMiddleware(RequestDelegate next, RedirectAllowList allowList, IOptions<GatewayOptions> options,
    ILogger<RedirectAllowListMiddleware> logger)
{
    private static readonly string[] BodyFields = ["redirect_to", "email_redirect_to"];

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.HasRoutePolicy<RoutePolicies.AuthApi>())
        {
            await next(context);
            return;
        }
        var candidates = new List<string?>();
        candidates.AddRange(context.Request.Headers["redirect_to"]);
        foreach (var (key, values) in context.Request.Query)
        {
            if (key.Equals("redirect_to", StringComparison.OrdinalIgnoreCase))
            {
                candidates.AddRange(values);
            }
        }
        if (HttpMethods.IsPost(context.Request.Method) || HttpMethods.IsPut(context.Request.Method) || HttpMethods.IsPatch(context.Request.Method))
        {
            var fromBody = await FromBodyAsync(context);
            if (fromBody is null)
            {
                await GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.BodyLargerThan(options.Value.Limits.MaxAuthBodyBytes));
                return;
            }
            candidates.AddRange(fromBody);
        }
        foreach (var candidate in candidates)
        {
            if (allowList.Problem(candidate) is { } problem)
            {
                logger.LogWarning("Refused {Method} {Path}: {Problem}", context.Request.Method, context.Request.Path, problem);
                await GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.ValidationFailed.Saying(problem));
                return;
            }
        }
        await next(context);
    }

    /// <summary>redirect_to values in a JSON or form body (the body stays readable for what follows); null when too large.</summary>
    private async Task<List<string?>?> FromBodyAsync(HttpContext context)
    {
        var request = context.Request;
        var type = request.ContentType ?? "";
        var json = type.Contains("json", StringComparison.OrdinalIgnoreCase);
        var form = type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
        if (!json && !form)
        {
            return [];
        }
        request.EnableBuffering();
        var body = await Security.LimitedBody.ReadAsync(request, options.Value.Limits.MaxAuthBodyBytes, context.RequestAborted);
        request.Body.Position = 0;
        if (body is null)
        {
            return null;
        }
        var found = new List<string?>();
        if (form)
        {
            foreach (var (key, values) in QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body)))
            {
                if (key.Equals("redirect_to", StringComparison.OrdinalIgnoreCase))
                {
                    found.AddRange(values);
                }
            }
            return found;
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.String && BodyFields.Contains(property.Name, StringComparer.OrdinalIgnoreCase))
                    {
                        found.Add(property.Value.GetString());
                    }
                }
            }
        }
        catch (JsonException)
        {
            // GoTrue answers malformed JSON itself (bad_json); nothing here can redirect.
        }
        return found;
    }
}
