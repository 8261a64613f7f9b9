using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using SupabaseEmulator.Database;
using SupabaseEmulator.PostgRest;

namespace SupabaseEmulator.Storage;

/// <summary>A bucket's settings as uploads need them.</summary>
public sealed record BucketInfo(string Id, bool Public, long? FileSizeLimit, string[]? AllowedMimeTypes)
{
    public long Limit(long global) => FileSizeLimit is { } own && own < global ? own : global;

    /// <summary>storage-api's rule: exact type or "type/*" wildcards; no list means anything.</summary>
    public bool Allows(string contentType)
    {
        if (AllowedMimeTypes is not { Length: > 0 })
        {
            return true;
        }
        var type = contentType.Split(';')[0].Trim();
        return AllowedMimeTypes.Any(allowed => allowed.EndsWith("/*", StringComparison.Ordinal)
            ? type.StartsWith(allowed[..^1], StringComparison.OrdinalIgnoreCase)
            : string.Equals(allowed, type, StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>A row of storage.objects with what a download needs.</summary>
public sealed record StoredObject(Guid Id, string Bucket, string Name, string Version, JsonObject Metadata, DateTimeOffset UpdatedAt);

/// <summary>What an upload carries besides its bytes.</summary>
public sealed record UploadAttributes(string ContentType, string CacheControl, string? UserMetadataJson);

/// <summary>
/// Reads and writes storage.objects the way storage-api does: lookups of buckets as the database owner, every
/// object statement as the caller so RLS decides, and bytes written to disk before the row points at them.
/// </summary>
public sealed class StoredObjects(EmulatorDatabase database, ObjectFiles files, IOptions<StorageEmulatorOptions> options, TimeProvider time)
{
    private const string ObjectColumns = "id, bucket_id, name, version, coalesce(metadata, '{}'::jsonb)::text, updated_at";

    public long GlobalLimit => options.Value.FileSizeLimitBytes;

    public ObjectFiles Files => files;

    public async Task<BucketInfo?> FindBucketAsync(string bucket, CancellationToken ct)
    {
        await using var scope = await RlsScope.BeginAsync(database, null, ct);
        await using var command = scope.Command("select id, public, file_size_limit, allowed_mime_types from storage.buckets where id = $1", bucket);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new BucketInfo(reader.GetString(0), reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<string[]>(3))
            : null;
    }

    /// <summary>The object as <paramref name="identity"/> may see it (null: as the owner of the database).</summary>
    public async Task<StoredObject?> FindAsync(RequestIdentity? identity, string bucket, string name, CancellationToken ct)
    {
        await using var scope = await RlsScope.BeginAsync(database, identity, ct);
        await using var command = scope.Command($"select {ObjectColumns} from storage.objects where bucket_id = $1 and name = $2", bucket, name);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>
    /// storage-api's permission test before any byte is read: the row write is tried as the caller and rolled back,
    /// so an upload RLS would refuse is refused before its body is streamed.
    /// </summary>
    public async Task<IResult?> CheckWriteAsync(RequestIdentity identity, string bucket, string name, bool upsert, CancellationToken ct)
    {
        try
        {
            await using var scope = await RlsScope.BeginAsync(database, identity, ct);
            await WriteRowAsync(scope, StorageCaller.Subject(identity), bucket, name, upsert, Guid.NewGuid().ToString("N"), new JsonObject(), null, ct);
            await scope.RollbackAsync(ct);
            return null;
        }
        catch (PostgresException e)
        {
            return StorageErrors.FromPostgres(e);
        }
    }

    /// <summary>Streams a body to a new version file, refusing it as soon as it passes <paramref name="limit"/>.</summary>
    public async Task<(IResult? Problem, string Version, long Size, string ETag)> ReceiveAsync(Stream body, long limit, CancellationToken ct)
    {
        var version = Guid.NewGuid().ToString("N");
        var path = files.PathOf(version);
        long size = 0;
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            await using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            int read;
            while ((read = await body.ReadAsync(buffer, ct)) > 0)
            {
                size += read;
                if (size > limit)
                {
                    await target.DisposeAsync();
                    File.Delete(path);
                    return (StorageErrors.EntityTooLarge(), version, size, "");
                }
                md5.AppendData(buffer, 0, read);
                await target.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }
        catch
        {
            File.Delete(path);
            throw;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return (null, version, size, Convert.ToHexStringLower(md5.GetHashAndReset()));
    }

    /// <summary>
    /// Points the row at a received version as the caller (<paramref name="identity"/>, or the owner of the database
    /// for signed uploads with <paramref name="owner"/> from the token). On refusal the new file is deleted; on
    /// success the replaced version's file is.
    /// </summary>
    public async Task<IResult> CommitAsync(RequestIdentity? identity, string? owner, string bucket, string name, bool upsert,
        string version, long size, string eTag, UploadAttributes attributes, CancellationToken ct)
    {
        var replaced = (await FindAsync(null, bucket, name, ct))?.Version;
        var metadata = new JsonObject
        {
            ["eTag"] = $"\"{eTag}\"",
            ["size"] = size,
            ["mimetype"] = attributes.ContentType,
            ["cacheControl"] = attributes.CacheControl,
            ["lastModified"] = time.GetUtcNow().ToString("O"),
            ["contentLength"] = size,
            ["httpStatusCode"] = 200,
        };
        try
        {
            await using var scope = await RlsScope.BeginAsync(database, identity, ct);
            await WriteRowAsync(scope, owner, bucket, name, upsert, version, metadata, attributes.UserMetadataJson, ct);
            await scope.CommitAsync(ct);
        }
        catch (PostgresException e)
        {
            files.Delete(version);
            return StorageErrors.FromPostgres(e);
        }
        catch
        {
            files.Delete(version);
            throw;
        }
        if (replaced is not null && replaced != version)
        {
            files.Delete(replaced);
        }
        var stored = await FindAsync(null, bucket, name, ct);
        return Results.Json(new JsonObject { ["Id"] = stored?.Id.ToString(), ["Key"] = $"{bucket}/{name}" });
    }

    public static StoredObject Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? "" : reader.GetString(3),
        JsonNode.Parse(reader.GetString(4)) as JsonObject ?? [], reader.GetFieldValue<DateTimeOffset>(5));

    /// <summary>No RETURNING: a row the caller may write but not read must still be writable (as in storage-api).</summary>
    private static async Task WriteRowAsync(RlsScope scope, string? owner, string bucket, string name, bool upsert, string version,
        JsonObject metadata, string? userMetadata, CancellationToken ct)
    {
        var conflict = upsert
            ? " on conflict (bucket_id, name) do update set owner = excluded.owner, owner_id = excluded.owner_id, metadata = excluded.metadata, " +
              "version = excluded.version, user_metadata = excluded.user_metadata, updated_at = now(), last_accessed_at = now()"
            : "";
        await using var command = scope.Command(
            "insert into storage.objects (id, bucket_id, name, owner, owner_id, metadata, version, user_metadata) " +
            "values ($1, $2, $3, $4::uuid, $5, $6::jsonb, $7, $8::jsonb)" + conflict,
            Guid.NewGuid(), bucket, name, owner, owner, metadata.ToJsonString(), version, userMetadata);
        await command.ExecuteNonQueryAsync(ct);
    }
}
