using System.Collections.Concurrent;

namespace SupabaseStandIn;

/// <summary>
/// Test inspection (not part of Supabase): every request as received, so tests can assert what the gateway
/// injected or stripped. Every response also carries a Set-Cookie and a CORS header that the gateway must drop.
/// </summary>
public static class RequestLog
{
    private static readonly ConcurrentQueue<object> Entries = new();

    public static IApplicationBuilder UseRequestLog(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!context.Request.Path.StartsWithSegments("/__standin"))
        {
            Entries.Enqueue(new
            {
                method = context.Request.Method,
                path = context.Request.Path.Value,
                query = context.Request.QueryString.Value,
                headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
                at = DateTimeOffset.UtcNow,
            });
            while (Entries.Count > 500 && Entries.TryDequeue(out _))
            {
            }
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.Append("Set-Cookie", "standin=leak; Path=/");
                context.Response.Headers["Access-Control-Allow-Origin"] = "*";
                context.Response.Headers["Access-Control-Allow-Credentials"] = "true";
                return Task.CompletedTask;
            });
        }
        await next();
    });

    public static IEndpointRouteBuilder MapRequestLog(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/__standin/requests", () => Results.Json(Entries.ToArray()));
        endpoints.MapDelete("/__standin/requests", () =>
        {
            Entries.Clear();
            return Results.NoContent();
        });
        return endpoints;
    }
}
