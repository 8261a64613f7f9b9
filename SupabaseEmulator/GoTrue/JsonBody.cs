using System.Text.Json;
using System.Text.Json.Nodes;

namespace SupabaseEmulator.GoTrue;

/// <summary>GoTrue's request body handling: JSON objects up to 1 MB; typed reads that never throw.</summary>
public static class JsonBody
{
    private const int MaxBytes = 1024 * 1024;

    /// <summary>The body as an object (empty when there is none), or null when it is not a JSON object.</summary>
    public static async Task<JsonObject?> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is > MaxBytes)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length == 0)
        {
            return [];
        }
        if (buffer.Length > MaxBytes)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(buffer.ToArray()) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string? String(this JsonObject body, string name) =>
        body[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    public static bool? Bool(this JsonObject body, string name) =>
        body[name] is JsonValue value && value.TryGetValue<bool>(out var flag) ? flag : null;

    public static IResult BadJson(HttpContext context) =>
        GoTrueErrors.Error(context, 400, "bad_json", "Could not parse request body as JSON");
}
