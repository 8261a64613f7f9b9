using Microsoft.AspNetCore.Diagnostics;
using Proxy.Errors;

namespace Proxy.Hosting;

/// <summary>Any unexpected exception becomes a GoTrue-style JSON 500: logged in full, never echoed (no stack trace, no token).</summary>
public static class UnhandledErrors
{
    public static IApplicationBuilder UseUnhandledErrors(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Proxy.UnhandledErrors");
        return app.UseExceptionHandler(errors => errors.Run(async context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            context.Response.Headers.Clear();
            // Kestrel's own refusals while the body was read (over the size limit, a broken chunked encoding).
            if (error is BadHttpRequestException bad)
            {
                await GatewayErrors.WriteAsGoTrueAsync(context, bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? GatewayErrors.RequestTooLarge
                    : GatewayErrors.BadRequest);
                return;
            }
            logger.LogError(error, "Unhandled error for {Method} {Path}", context.Request.Method, context.Request.Path);
            await GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.UnexpectedFailure);
        }));
    }
}
