using Microsoft.Extensions.DependencyInjection.Extensions;
using SupabaseEmulator.Gateway;
using SupabaseEmulator.GoTrue;

namespace SupabaseEmulator.Inspection;

/// <summary>
/// The /__emulator/* test endpoints (not part of Supabase) and the behaviour that lets tests check a gateway:
/// every API response carries a Set-Cookie and CORS headers, which a same-origin cookie gateway must drop.
/// </summary>
public static class InspectionExtensions
{
    public const string LeakedCookie = "emulator=1; Path=/";

    public static IServiceCollection AddEmulatorInspection(this IServiceCollection services)
    {
        services.TryAddSingleton<RequestLog>();
        services.TryAddSingleton<Outbox>();
        services.TryAddSingleton<RefreshSpends>();
        services.TryAddSingleton<EmulatorFaults>();
        return services;
    }

    /// <summary>Request log and leaky headers, then Kong's Authorization rewrite.</summary>
    public static IApplicationBuilder UseEmulatorGateway(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/__emulator"))
            {
                var log = context.RequestServices.GetRequiredService<RequestLog>();
                log.Record(context.Request, context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
                context.Response.OnStarting(() =>
                {
                    context.Response.Headers.Append("Set-Cookie", LeakedCookie);
                    context.Response.Headers["Access-Control-Allow-Origin"] = "*";
                    context.Response.Headers["Access-Control-Allow-Credentials"] = "true";
                    context.Response.Headers["Access-Control-Expose-Headers"] = "X-Total-Count, Link, X-Supabase-Api-Version";
                    return Task.CompletedTask;
                });
            }
            await next();
        });
        app.UseMiddleware<ApiKeyGateway>();
        app.Use(async (context, next) =>
        {
            if (!await context.RequestServices.GetRequiredService<EmulatorFaults>().TryAnswerAsync(context))
            {
                await next();
            }
        });
        return app;
    }

    public static IEndpointRouteBuilder MapEmulatorInspection(this IEndpointRouteBuilder endpoints)
    {
        var inspection = endpoints.MapGroup("/__emulator");
        inspection.MapGet("/requests", (RequestLog log, string? path, long? after) => Results.Json(log.Snapshot(path, after ?? 0)));
        inspection.MapDelete("/requests", (RequestLog log) =>
        {
            log.Clear();
            return Results.NoContent();
        });
        inspection.MapGet("/outbox", (Outbox outbox, string? email) => Results.Json(outbox.Snapshot(email)));
        inspection.MapDelete("/outbox", (Outbox outbox) =>
        {
            outbox.Clear();
            return Results.NoContent();
        });
        inspection.MapGet("/refresh-spends", (RefreshSpends spends, Guid? session_id) =>
            session_id is { } id ? Results.Json(spends.For(id)) : Results.Json(spends.Snapshot()));
        inspection.MapGet("/alive", () => Results.Text("ok"));
        inspection.MapPost("/faults", (EmulatorFaults faults, EmulatorFaults.FaultRequest fault) =>
            faults.Set(fault) ? Results.NoContent() : Results.BadRequest(new { modes = EmulatorFaults.Modes }));
        inspection.MapDelete("/faults", (EmulatorFaults faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
        return endpoints;
    }
}
