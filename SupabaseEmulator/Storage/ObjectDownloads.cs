using System.Text.Json.Nodes;
using Microsoft.Net.Http.Headers;

namespace SupabaseEmulator.Storage;

/// <summary>
/// Serves a stored object: Content-Type and Cache-Control from its metadata, ETag / Last-Modified validators,
/// Range → 206 and conditional requests → 304 (ASP.NET's file result), <c>?download[=name]</c> → attachment.
/// </summary>
public static class ObjectDownloads
{
    public static IResult Serve(HttpContext context, ObjectFiles files, StoredObject stored)
    {
        var path = files.PathOf(stored.Version);
        if (!File.Exists(path))
        {
            return StorageErrors.NoSuchKey();
        }
        var contentType = Text(stored.Metadata, "mimetype") ?? "application/octet-stream";
        if (Text(stored.Metadata, "cacheControl") is { } cacheControl)
        {
            context.Response.Headers.CacheControl = cacheControl;
        }
        string? downloadName = null;
        if (context.Request.Query.TryGetValue("download", out var download))
        {
            downloadName = string.IsNullOrEmpty(download.ToString()) ? stored.Name.Split('/')[^1] : download.ToString();
        }
        var eTag = Text(stored.Metadata, "eTag") is { } tag && tag.StartsWith('"') ? new EntityTagHeaderValue(tag) : null;
        return Results.File(ObjectFiles.OpenRead(path), contentType, downloadName, stored.UpdatedAt, eTag, enableRangeProcessing: true);
    }

    private static string? Text(JsonObject metadata, string name) =>
        metadata[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
