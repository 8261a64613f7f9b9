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
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Proxy.UnhandledErrors")
                .LogError(error, "Unhandled error for {Method} {Path}", context.Request.Method, context.Request.Path);
            context.Response.Headers.Clear();
            await AuthErrors.WriteAsync(context, 500, "unexpected_failure", "Unexpected failure; try again.");
        }));
}
