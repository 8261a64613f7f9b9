using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using SupabaseEmulator.GoTrue;
using SupabaseEmulator.PostgRest;

namespace SupabaseEmulator.Storage;

/// <summary>An upload in progress: who started it, where it goes, and how many bytes are on disk.</summary>
public sealed class ResumableUpload(string id, string bucket, string name, string? owner, long length, bool upsert, UploadAttributes attributes, string version)
{
    public string Id { get; } = id;
    public string Bucket { get; } = bucket;
    public string Name { get; } = name;
    public string? Owner { get; } = owner;
    public long Length { get; } = length;
    public bool Upsert { get; } = upsert;
    public UploadAttributes Attributes { get; } = attributes;
    public string Version { get; } = version;
    public long Offset { get; set; }
    public SemaphoreSlim Lock { get; } = new(1, 1);
}

/// <summary>
/// TUS 1.0.0 at /storage/v1/upload/resumable (creation, termination), as storage-api serves it: Upload-Metadata
/// carries bucketName, objectName, contentType and cacheControl; x-upsert on creation; the RLS test runs at creation
/// and the row is written as the caller of the request that completes the upload. Bytes received before a broken
/// connection are kept, so a HEAD tells the client where to resume. Uploads in progress live in memory.
/// </summary>
public static class ResumableUploads
{
    private const string TusVersion = "1.0.0";
    private static readonly ConcurrentDictionary<string, ResumableUpload> Uploads = new(StringComparer.Ordinal);

    public static RouteGroupBuilder MapResumableUploadRoutes(this RouteGroupBuilder storage)
    {
        var tus = storage.MapGroup("/upload/resumable");
        tus.MapMethods("", ["OPTIONS"], Options);
        tus.MapPost("", CreateAsync);
        tus.MapMethods("/{id}", ["HEAD"], Head);
        tus.MapPatch("/{id}", AppendAsync);
        tus.MapDelete("/{id}", Terminate);
        tus.MapMethods("/{id}", ["OPTIONS"], Options);
        return storage;
    }

    private static IResult Options(HttpContext context, StoredObjects objects)
    {
        Tus(context);
        context.Response.Headers["Tus-Version"] = TusVersion;
        context.Response.Headers["Tus-Extension"] = "creation,termination";
        context.Response.Headers["Tus-Max-Size"] = objects.GlobalLimit.ToString(CultureInfo.InvariantCulture);
        return Results.NoContent();
    }

    private static async Task<IResult> CreateAsync(HttpContext context, EmulatorJwt jwt, StoredObjects objects, EmulatorUrls urls, CancellationToken ct)
    {
        Tus(context);
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return problem!;
        }
        if (!long.TryParse(context.Request.Headers["Upload-Length"], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            return StorageErrors.Error(400, "TusError", "Upload-Length header required", httpStatus: 400);
        }
        var metadata = ParseMetadata(context.Request.Headers["Upload-Metadata"].ToString());
        if (!metadata.TryGetValue("bucketName", out var bucketId) || !metadata.TryGetValue("objectName", out var name))
        {
            return StorageErrors.Error(400, "InvalidRequest", "Upload-Metadata must carry bucketName and objectName", httpStatus: 400);
        }
        if (!ObjectKeys.IsValid(name))
        {
            return StorageErrors.Error(400, "InvalidKey", $"Invalid key: {name}", httpStatus: 400);
        }
        if (await objects.FindBucketAsync(bucketId, ct) is not { } bucket)
        {
            return StorageErrors.Error(404, "NoSuchBucket", "Bucket not found", "Bucket not found", httpStatus: 404);
        }
        if (length > bucket.Limit(objects.GlobalLimit))
        {
            return StorageErrors.EntityTooLarge(httpStatus: 413);
        }
        var contentType = metadata.GetValueOrDefault("contentType") ?? "application/octet-stream";
        if (!bucket.Allows(contentType))
        {
            return StorageErrors.InvalidMimeType(contentType, httpStatus: 415);
        }
        var upsert = ObjectUploads.Upsert(context.Request);
        if (await objects.CheckWriteAsync(identity, bucketId, name, upsert, ct) is { } refused)
        {
            context.Response.StatusCode = 403;
            return refused is IStatusCodeHttpResult ? WithStatus(refused, 403) : refused;
        }
        var version = Guid.NewGuid().ToString("N");
        var id = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{bucketId}/{name}/{version}"));
        var cacheControl = metadata.GetValueOrDefault("cacheControl") is { Length: > 0 } seconds ? "max-age=" + seconds : "no-cache";
        await File.WriteAllBytesAsync(objects.Files.UploadPathOf(version), [], ct);
        Uploads[id] = new ResumableUpload(id, bucketId, name, StorageCaller.Subject(identity), length, upsert,
            new UploadAttributes(contentType, cacheControl, metadata.GetValueOrDefault("metadata")), version);
        context.Response.Headers.Location = $"{urls.BaseUrl}/storage/v1/upload/resumable/{id}";
        return Results.StatusCode(201);
    }

    private static IResult Head(HttpContext context, string id, EmulatorJwt jwt)
    {
        Tus(context);
        var (upload, problem) = Find(context, id, jwt);
        if (upload is null)
        {
            return problem!;
        }
        context.Response.Headers["Upload-Offset"] = upload.Offset.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["Upload-Length"] = upload.Length.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.CacheControl = "no-store";
        return Results.Ok();
    }

    private static async Task<IResult> AppendAsync(HttpContext context, string id, EmulatorJwt jwt, StoredObjects objects, CancellationToken ct)
    {
        Tus(context);
        var (identity, authProblem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return authProblem!;
        }
        var (upload, problem) = Find(context, id, jwt);
        if (upload is null)
        {
            return problem!;
        }
        if (!string.Equals(context.Request.ContentType, "application/offset+octet-stream", StringComparison.OrdinalIgnoreCase))
        {
            return StorageErrors.Error(415, "TusError", "Content-Type must be application/offset+octet-stream", httpStatus: 415);
        }
        if (!await upload.Lock.WaitAsync(TimeSpan.Zero, ct))
        {
            return StorageErrors.Error(423, "ResourceLocked", "The resource is locked", httpStatus: 423);
        }
        try
        {
            if (!long.TryParse(context.Request.Headers["Upload-Offset"], NumberStyles.None, CultureInfo.InvariantCulture, out var offset) || offset != upload.Offset)
            {
                return StorageErrors.Error(409, "TusError", "Upload-Offset conflict", httpStatus: 409);
            }
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = null; // bounded by Upload-Length below
            }
            if (!await AppendBodyAsync(context, upload, objects.Files.UploadPathOf(upload.Version)))
            {
                return StorageErrors.Error(413, "EntityTooLarge", "The upload exceeded its Upload-Length", "Payload too large", httpStatus: 413);
            }
            context.Response.Headers["Upload-Offset"] = upload.Offset.ToString(CultureInfo.InvariantCulture);
            if (upload.Offset < upload.Length)
            {
                return Results.NoContent();
            }
            return await CompleteAsync(identity, upload, objects, ct);
        }
        finally
        {
            upload.Lock.Release();
        }
    }

    /// <summary>Appends what arrives; a broken connection keeps every byte written so far (the client resumes from it).</summary>
    private static async Task<bool> AppendBodyAsync(HttpContext context, ResumableUpload upload, string path)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            await using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1, FileOptions.Asynchronous);
            while (true)
            {
                int read;
                try
                {
                    read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or BadHttpRequestException)
                {
                    return true; // the client went away: the bytes already written stay
                }
                if (read == 0)
                {
                    return true;
                }
                if (upload.Offset + read > upload.Length)
                {
                    return false;
                }
                await file.WriteAsync(buffer.AsMemory(0, read), CancellationToken.None);
                upload.Offset += read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<IResult> CompleteAsync(RequestIdentity identity, ResumableUpload upload, StoredObjects objects, CancellationToken ct)
    {
        var partial = objects.Files.UploadPathOf(upload.Version);
        var eTag = await ObjectFiles.Md5Async(partial, ct);
        File.Move(partial, objects.Files.PathOf(upload.Version));
        Uploads.TryRemove(upload.Id, out _);
        var result = await objects.CommitAsync(identity, upload.Owner, upload.Bucket, upload.Name, upload.Upsert, upload.Version, upload.Length, eTag, upload.Attributes, ct);
        return result is IStatusCodeHttpResult { StatusCode: >= 400 } ? WithStatus(result, 403) : Results.NoContent();
    }

    private static IResult Terminate(HttpContext context, string id, EmulatorJwt jwt, ObjectFiles files)
    {
        Tus(context);
        var (upload, problem) = Find(context, id, jwt);
        if (upload is null)
        {
            return problem!;
        }
        Uploads.TryRemove(id, out _);
        File.Delete(files.UploadPathOf(upload.Version));
        return Results.NoContent();
    }

    /// <summary>An upload is continued only by the user who created it (the token's sub), like storage-api's upload locks per owner.</summary>
    private static (ResumableUpload? Upload, IResult? Problem) Find(HttpContext context, string id, EmulatorJwt jwt)
    {
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return (null, problem);
        }
        if (!Uploads.TryGetValue(id, out var upload))
        {
            return (null, StorageErrors.Error(404, "NoSuchUpload", "Upload not found", httpStatus: 404));
        }
        if (upload.Owner != StorageCaller.Subject(identity))
        {
            return (null, StorageErrors.Error(403, "AccessDenied", "Upload belongs to another user", "Unauthorized", httpStatus: 403));
        }
        return (upload, null);
    }

    private static IResult WithStatus(IResult result, int status) =>
        result is IValueHttpResult { Value: { } value } ? Results.Json(value, statusCode: status) : Results.StatusCode(status);

    private static void Tus(HttpContext context) => context.Response.Headers["Tus-Resumable"] = TusVersion;

    /// <summary>"key base64value,key2 base64value2" (values may be absent).</summary>
    private static Dictionary<string, string> ParseMetadata(string header)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split(' ', 2);
            try
            {
                values[parts[0]] = parts.Length == 2 ? Encoding.UTF8.GetString(Convert.FromBase64String(parts[1])) : "";
            }
            catch (FormatException)
            {
                // A malformed value is treated as absent (the required ones are then reported).
            }
        }
        return values;
    }
}
