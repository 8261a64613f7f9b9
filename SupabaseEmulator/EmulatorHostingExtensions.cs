using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace SupabaseEmulator;

public static class EmulatorHostingExtensions
{
    public static IServiceCollection AddEmulatorOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IValidateOptions<EmulatorOptions>, EmulatorOptionsValidator>();
        services.AddOptions<EmulatorOptions>().Bind(configuration.GetSection(EmulatorOptions.Section)).ValidateOnStart();
        return services;
    }

    /// <summary>An unexpected failure is a JSON 500 without a stack trace, like the real services.</summary>
    public static IApplicationBuilder UseEmulatorErrors(this IApplicationBuilder app) =>
        app.UseExceptionHandler(errors => errors.Run(async context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("SupabaseEmulator").LogError(error, "Unhandled error for {Path}", context.Request.Path);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            var body = context.Request.Path.StartsWithSegments("/rest/v1")
                ? new JsonObject { ["code"] = "XX000", ["details"] = null, ["hint"] = null, ["message"] = "unexpected failure in the emulator" }
                : context.Request.Path.StartsWithSegments("/storage/v1")
                    ? new JsonObject { ["statusCode"] = "500", ["code"] = "InternalError", ["error"] = "InternalError", ["message"] = "Internal server error" }
                    : new JsonObject { ["code"] = 500, ["error_code"] = "unexpected_failure", ["msg"] = "Unexpected failure in the emulator" };
            await context.Response.WriteAsJsonAsync(body);
        }));
}
