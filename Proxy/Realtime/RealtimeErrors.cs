using System.Text.Json;
using System.Text.Json.Serialization;

namespace Proxy.Realtime;

/// <summary>The gateway's error body, GoTrue's versioned shape (ARCHITECTURE.md, "Proxy behaviour").</summary>
public sealed record RealtimeError(string Code, string Message);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RealtimeError))]
internal sealed partial class RealtimeJsonContext : JsonSerializerContext;

internal static class RealtimeErrors
{
    public static Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["X-Supabase-Api-Version"] = "2024-01-01";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(new RealtimeError(code, message), RealtimeJsonContext.Default.RealtimeError, cancellationToken: context.RequestAborted);
    }
}
