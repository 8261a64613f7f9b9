using System.Globalization;
using Microsoft.Extensions.Options;
using Proxy.Errors;
using Proxy.Options;
using Proxy.Routing;

namespace Proxy.Storage;

/// <summary>
/// Storage uploads count against Gateway:Limits:MaxRequestBodyBytes before anything is forwarded: a declared
/// Content-Length, or a resumable upload's total Upload-Length, above it on a route with the StorageUpload policy gets a 413 in GoTrue's error shape. Chunked
/// bodies without a length are cut by Kestrel at the same limit (KestrelLimits).
/// </summary>
public sealed class StorageUploadLimit(RequestDelegate next, IOptions<GatewayOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (context.HasRoutePolicy<RoutePolicies.StorageUpload>())
        {
            var limit = options.Value.Limits.MaxRequestBodyBytes;
            if (request.ContentLength > limit || DeclaredUploadLength(request) > limit)
            {
                return GatewayErrors.WriteAsync(context, GatewayErrors.RequestTooLarge.Saying(
                    $"The upload is larger than this gateway accepts ({limit.ToString(CultureInfo.InvariantCulture)} bytes)."));
            }
        }
        return next(context);
    }

    private static long? DeclaredUploadLength(HttpRequest request) =>
        request.Headers.TryGetValue("Upload-Length", out var value)
        && long.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : null;
}
