using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using SupabaseEmulator.PostgRest;

namespace SupabaseEmulator.Storage;

/// <summary>
/// POST/PUT /object/{bucket}/{path} and the signed-upload PUT: a raw body (Content-Type, Cache-Control, x-metadata
/// headers) or multipart/form-data as supabase-js sends Blobs (cacheControl and metadata fields, then the file).
/// The permission test and size checks run before the body is read; the body is streamed to disk.
/// </summary>
public static class ObjectUploads
{
    public static async Task<IResult> UploadAsync(HttpContext context, RequestIdentity? identity, string? owner, string bucketId, string name,
        bool upsert, StoredObjects objects, CancellationToken ct)
    {
        if (!ObjectKeys.IsValid(name))
        {
            return StorageErrors.InvalidKey(name);
        }
        if (await objects.FindBucketAsync(bucketId, ct) is not { } bucket)
        {
            return StorageErrors.NoSuchBucket();
        }
        if (identity is not null && await objects.CheckWriteAsync(identity, bucketId, name, upsert, ct) is { } refused)
        {
            return refused;
        }
        var limit = bucket.Limit(objects.GlobalLimit);
        if (context.Request.ContentLength > limit + 64 * 1024)
        {
            return StorageErrors.EntityTooLarge(); // refused without reading (a multipart envelope adds a little)
        }
        // The emulator counts bytes itself; Kestrel's 30 MB default would cut larger objects with an empty 413.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }

        var (body, attributes, problem) = await OpenContentAsync(context.Request, ct);
        if (problem is not null)
        {
            return problem;
        }
        if (!bucket.Allows(attributes!.ContentType))
        {
            return StorageErrors.InvalidMimeType(attributes.ContentType);
        }
        var received = await objects.ReceiveAsync(body!, limit, ct);
        if (received.Problem is not null)
        {
            return received.Problem;
        }
        return await objects.CommitAsync(identity, owner ?? (identity is null ? null : StorageCaller.Subject(identity)), bucketId, name, upsert,
            received.Version, received.Size, received.ETag, attributes, ct);
    }

    /// <summary>x-upsert: "true" (any case) means upsert, as storage-api reads it.</summary>
    public static bool Upsert(HttpRequest request) => string.Equals(request.Headers["x-upsert"].ToString(), "true", StringComparison.OrdinalIgnoreCase);

    private static async Task<(Stream? Body, UploadAttributes? Attributes, IResult? Problem)> OpenContentAsync(HttpRequest request, CancellationToken ct)
    {
        var contentType = request.ContentType ?? "";
        if (!contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            var cacheControl = request.Headers.CacheControl.ToString();
            return (request.Body, new UploadAttributes(contentType.Length > 0 ? contentType : "application/octet-stream",
                cacheControl.Length > 0 ? cacheControl : "no-cache", DecodeMetadataHeader(request.Headers["x-metadata"].ToString())), null);
        }
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(contentType).Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            return (null, null, StorageErrors.InvalidRequest("Missing multipart boundary"));
        }
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = null };
        string cacheControlField = "3600";
        string? metadata = null;
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
            {
                continue;
            }
            if (disposition.FileName.HasValue || disposition.FileNameStar.HasValue || string.IsNullOrEmpty(HeaderUtilities.RemoveQuotes(disposition.Name).Value))
            {
                // The file part: the rest of the form is not read (supabase-js puts the fields first).
                var fileType = section.ContentType is { Length: > 0 } type ? type : "application/octet-stream";
                return (section.Body, new UploadAttributes(fileType, "max-age=" + cacheControlField, metadata), null);
            }
            using var text = new StreamReader(section.Body, Encoding.UTF8);
            var value = await text.ReadToEndAsync(ct);
            switch (HeaderUtilities.RemoveQuotes(disposition.Name).Value)
            {
                case "cacheControl":
                    cacheControlField = value;
                    break;
                case "metadata":
                    metadata = value;
                    break;
            }
        }
        return (null, null, StorageErrors.InvalidRequest("No content provided"));
    }

    private static string? DecodeMetadataHeader(string header)
    {
        if (header.Length == 0)
        {
            return null;
        }
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(header));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
