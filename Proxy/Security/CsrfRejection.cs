using System.Net;
using Proxy.Errors;

namespace Proxy.Security;

/// <summary>
/// What a request refused by <see cref="CsrfMiddleware"/> gets back. A page the browser navigates to (a plain HTML
/// form post) gets a short HTML page saying what happened and where the site really is, because raw JSON in the
/// address bar helps nobody; fetch and API clients keep GoTrue's JSON error. The wording mentions the session
/// cookie only when the request carried it.
/// </summary>
public static class CsrfRejection
{
    public static readonly string Code = GatewayErrors.CsrfOriginMismatch.Code;

    // No script and nothing external: the page's only content besides text is its own style block.
    private const string PageContentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static Task WriteAsync(HttpContext context, OriginPolicy origins, bool carriedCookie)
    {
        if (IsDocumentNavigation(context.Request))
        {
            return WritePageAsync(context, origins);
        }
        return GatewayErrors.WriteAsync(context, carriedCookie
            ? GatewayErrors.CsrfOriginMismatch
            : GatewayErrors.CsrfOriginMismatch.Saying("Cross-origin request refused: sign-in requests must come from the app's own origin."));
    }

    /// <summary>
    /// A top-level navigation (a form submitted by the browser, not fetch or XHR): Fetch Metadata says so directly;
    /// browsers without it are recognised by a form body and an Accept header that asks for HTML.
    /// </summary>
    public static bool IsDocumentNavigation(HttpRequest request)
    {
        var mode = request.Headers["Sec-Fetch-Mode"].ToString();
        var destination = request.Headers["Sec-Fetch-Dest"].ToString();
        if (mode.Length > 0 || destination.Length > 0)
        {
            return string.Equals(mode, "navigate", StringComparison.OrdinalIgnoreCase)
                || string.Equals(destination, "document", StringComparison.OrdinalIgnoreCase);
        }
        return request.HasFormContentType
            && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
    }

    private static Task WritePageAsync(HttpContext context, OriginPolicy origins)
    {
        var site = origins.PrimaryOrigin ?? "/";
        var from = OriginPolicy.Normalize(context.Request.Headers.Origin.ToString());
        var target = site == "/" ? "/" : site + ReturnPath(context.Request, from);
        var what = from is not null
            ? $"The form was sent from <strong>{Encode(from)}</strong>, which is not the address this site runs at."
            : "The form was sent from another site, or from a page that did not say where it came from.";

        var response = context.Response;
        response.StatusCode = StatusCodes.Status403Forbidden;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers[GatewayErrors.ErrorCodeHeader] = Code;
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentSecurityPolicy = PageContentSecurityPolicy;
        return response.WriteAsync($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>Form not accepted · Notebook</title>
            <style>
            body { margin: 0; padding: 0 1rem; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #18212b; background: #f6f7f5; }
            main { max-width: 32rem; margin: 3rem auto; padding: 1.5rem; background: #fff; border: 1px solid #e1e5e2; border-radius: 10px; }
            h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 .75rem; }
            p { margin: 0 0 .9rem; overflow-wrap: anywhere; }
            a.button { display: inline-block; background: #2f6f5e; color: #fff; font-weight: 600; padding: .5rem 1rem; border-radius: 7px; text-decoration: none; }
            .code { color: #5d6875; font-size: .85rem; }
            </style>
            </head>
            <body>
            <main data-testid="csrf-rejected">
            <h1>Your form was not sent</h1>
            <p>{{what}} To keep your account safe, nothing was changed.</p>
            <p>Open the site at <a href="{{Encode(target)}}" data-testid="csrf-site">{{Encode(site)}}</a> and try again.</p>
            <p><a class="button" href="{{Encode(target)}}">Go to {{Encode(site)}}</a></p>
            <p class="code">Error code: {{Code}}</p>
            </main>
            </body>
            </html>
            """, context.RequestAborted);
    }

    /// <summary>
    /// The path of the page the form was on, when the Referer comes from the same origin as the form (our site at a
    /// wrong address), so the link reopens that page at the right one; otherwise the home page.
    /// </summary>
    private static string ReturnPath(HttpRequest request, string? from)
    {
        if (from is null || !Uri.TryCreate(request.Headers.Referer.ToString(), UriKind.Absolute, out var referer)
            || OriginPolicy.Normalize(referer.GetLeftPart(UriPartial.Authority)) != from)
        {
            return "/";
        }
        return OriginPolicy.SafeLocalPath(referer.PathAndQuery);
    }

    private static string Encode(string value) => WebUtility.HtmlEncode(value);
}
