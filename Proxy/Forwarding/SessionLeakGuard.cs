using System.Text.Json;
using Proxy.Errors;
using Yarp.ReverseProxy.Transforms;

namespace Proxy.Forwarding;

/// <summary>
/// Defence in depth for GoTrue answers that reach the browser through plain forwarding (routes the Proxy does not
/// intercept, e.g. MFA verify, or an interception bypassed by an unusual spelling of a path): a JSON body that
/// carries a refresh token is replaced by an error, and a redirect whose Location carries tokens (implicit flow
/// of GET /verify or /callback) loses them. The browser must never hold a token Supabase accepts.
/// </summary>
public static class SessionLeakGuard
{
    private const int MaxInspectedBytes = 1024 * 1024;

    public static async ValueTask ApplyAsync(ResponseTransformContext context)
    {
        var response = context.HttpContext.Response;
        var content = context.ProxyResponse!.Content;
        if (response.Headers.Location.ToString() is { Length: > 0 } location && CarriesTokens(location))
        {
            response.Headers.Location = WithoutTokens(location);
            // Go's redirect body repeats the target (tokens included): the browser gets the Location only.
            context.SuppressResponseBody = true;
            response.Headers.Remove("Content-Type");
            response.Headers.Remove("Content-Encoding");
            response.ContentLength = 0;
            return;
        }
        // Asked for identity; a body in any other coding could hide a session from the checks below.
        if (content.Headers.ContentEncoding.Any(e => !e.Equals("identity", StringComparison.OrdinalIgnoreCase)))
        {
            await RefuseAsync(context, GatewayErrors.UpstreamInvalidResponse.Saying("Supabase Auth sent an encoded response the gateway cannot inspect."));
            return;
        }
        var mediaType = content.Headers.ContentType?.MediaType;
        if (mediaType is null || !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }
        byte[] body;
        try
        {
            await content.LoadIntoBufferAsync(MaxInspectedBytes, context.CancellationToken);
            body = await content.ReadAsByteArrayAsync(context.CancellationToken);
        }
        catch (HttpRequestException)
        {
            // Larger than any session answer: not one. It is still refused, since it can no longer be relayed intact.
            await RefuseAsync(context, GatewayErrors.UpstreamResponseTooLarge);
            return;
        }
        context.SuppressResponseBody = true;
        if (body.Length > 0 && !IsJson(body))
        {
            await RefuseAsync(context, GatewayErrors.UpstreamInvalidResponse);
            return;
        }
        if (HoldsSession(body))
        {
            await RefuseAsync(context, GatewayErrors.SessionNotIntercepted);
            return;
        }
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.CancellationToken);
    }

    internal static bool HoldsSession(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && (document.RootElement.TryGetProperty("refresh_token", out _) || document.RootElement.TryGetProperty("provider_refresh_token", out _));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsJson(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var _ = JsonDocument.ParseValue(ref reader);
            return !reader.Read(); // nothing after the value either
        }
        catch (JsonException)
        {
            return false;
        }
    }

    internal static bool CarriesTokens(string location) =>
        location.Contains("access_token=", StringComparison.OrdinalIgnoreCase) || location.Contains("refresh_token=", StringComparison.OrdinalIgnoreCase)
        || location.Contains("provider_token=", StringComparison.OrdinalIgnoreCase);

    /// <summary>The redirect target without query or fragment, plus an error the app can show (GoTrue's error fragment format).</summary>
    internal static string WithoutTokens(string location)
    {
        var cut = location.IndexOfAny(['?', '#']);
        var target = cut < 0 ? location : location[..cut];
        return target + "#error=unsupported_flow&error_code=implicit_flow_not_supported&error_description="
            + Uri.EscapeDataString("Sign-in links must use the PKCE flow through the gateway.");
    }

    private static async Task RefuseAsync(ResponseTransformContext context, GatewayError error)
    {
        context.SuppressResponseBody = true;
        var response = context.HttpContext.Response;
        response.Headers.Remove("Content-Length");
        response.Headers.Remove("Content-Type");
        response.Headers.Remove("x-sb-error-code");
        response.Headers.Remove("Content-Encoding");
        await GatewayErrors.WriteAsync(context.HttpContext, error);
    }
}
