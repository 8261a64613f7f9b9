using Microsoft.AspNetCore.Diagnostics;
using Proxy.Auth;

namespace Proxy.Hosting;

/// <summary>Any unexpected exception becomes a GoTrue-style JSON 500: logged in full, never echoed (no stack trace, no token).</summary>
public static class UnhandledErrors
{
    public static IApplicationBuilder UseUnhandledErrors(this IApplicationBuilder app) =>
        app.UseExceptionHandler(errors => errors.Run(async context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            context.Response.Headers.Clear();
            // Kestrel's own refusals while the body was read (over the size limit, a broken chunked encoding).
            if (error is BadHttpRequestException bad)
            {
                await (bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? AuthErrors.WriteAsync(context, 413, "request_entity_too_large", "Request body is too large.")
                    : AuthErrors.WriteAsync(context, 400, "bad_request", "Malformed request."));
                return;
            }
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Proxy.UnhandledErrors")
                .LogError(error, "Unhandled error for {Method} {Path}", context.Request.Method, context.Request.Path);
            await AuthErrors.WriteAsync(context, 500, "unexpected_failure", "Unexpected failure; try again.");
        }));
}
