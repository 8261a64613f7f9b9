using System.Text;

namespace Gateway.Bench.Roles;

/// <summary>
/// The benchmark's emulator for a fast Supabase REST endpoint: every request gets the same ~700-byte JSON array,
/// so the measured differences are the proxies', not the backend's.
/// </summary>
public static class UpstreamApp
{
    /// <summary>Five PostgREST-like rows, 700 bytes give or take.</summary>
    public static readonly byte[] Body = Encoding.UTF8.GetBytes(BuildBody());

    public static async Task RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var app = builder.Build();
        app.MapGet("/alive", () => Results.Text("ok"));
        app.MapFallback(WriteBodyAsync);
        await app.RunAsync();
    }

    private static Task WriteBodyAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = Body.Length;
        return context.Response.Body.WriteAsync(Body).AsTask();
    }

    private static string BuildBody()
    {
        var rows = Enumerable.Range(1, 5).Select(i =>
            $$"""{"id":{{i}},"author_id":"7f9c2a4e-3b1d-4c8e-9a6f-0d2e5b7c1a{{i:00}}","title":"Post number {{i}}","published":true,"created_at":"2025-01-0{{i}}T12:00:00+00:00"}""");
        return "[" + string.Join(",", rows) + "]";
    }
}
