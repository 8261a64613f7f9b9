using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using SupabaseEmulator.Database;
using SupabaseEmulator.GoTrue;

namespace SupabaseEmulator.Storage;

/// <summary>The /storage/v1/object routes supabase-js's StorageFileApi calls (upload, download, list, remove, move, copy, info).</summary>
public static class ObjectEndpoints
{
    public static RouteGroupBuilder MapObjectRoutes(this RouteGroupBuilder storage)
    {
        storage.MapPost("/object/list/{bucket}", ListAsync);
        storage.MapPost("/object/move", MoveAsync);
        storage.MapPost("/object/copy", CopyAsync);
        storage.MapMethods("/object/public/{bucket}/{**path}", ["GET", "HEAD"], PublicDownloadAsync);
        storage.MapMethods("/object/authenticated/{bucket}/{**path}", ["GET", "HEAD"], DownloadAsync);
        storage.MapGet("/object/info/{bucket}/{**path}", InfoAsync);
        storage.MapMethods("/object/{bucket}/{**path}", ["GET", "HEAD"], DownloadAsync);
        storage.MapPost("/object/{bucket}/{**path}", (HttpContext context, string bucket, string? path, EmulatorJwt jwt, StoredObjects objects, CancellationToken ct) =>
            UploadAsync(context, bucket, path, ObjectUploads.Upsert(context.Request), jwt, objects, ct));
        storage.MapPut("/object/{bucket}/{**path}", (HttpContext context, string bucket, string? path, EmulatorJwt jwt, StoredObjects objects, CancellationToken ct) =>
            UploadAsync(context, bucket, path, true, jwt, objects, ct));
        storage.MapDelete("/object/{bucket}", RemoveManyAsync);
        storage.MapDelete("/object/{bucket}/{**path}", RemoveOneAsync);
        return storage;
    }

    private static async Task<IResult> UploadAsync(HttpContext context, string bucket, string? path, bool upsert, EmulatorJwt jwt, StoredObjects objects, CancellationToken ct)
    {
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        return identity is null ? problem! : await ObjectUploads.UploadAsync(context, identity, null, bucket, path ?? "", upsert, objects, ct);
    }

    private static async Task<IResult> DownloadAsync(HttpContext context, string bucket, string? path, EmulatorJwt jwt, StoredObjects objects, CancellationToken ct)
    {
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return problem!;
        }
        return await objects.FindAsync(identity, bucket, path ?? "", ct) is { } stored ? ObjectDownloads.Serve(context, objects.Files, stored) : StorageErrors.NoSuchKey();
    }

    /// <summary>Public buckets are read without RLS and without a token (storage-api's public route).</summary>
    private static async Task<IResult> PublicDownloadAsync(HttpContext context, string bucket, string? path, StoredObjects objects, CancellationToken ct)
    {
        if (await objects.FindBucketAsync(bucket, ct) is not { Public: true })
        {
            return StorageErrors.NoSuchBucket();
        }
        return await objects.FindAsync(null, bucket, path ?? "", ct) is { } stored ? ObjectDownloads.Serve(context, objects.Files, stored) : StorageErrors.NoSuchKey();
    }

    private static async Task<IResult> InfoAsync(HttpContext context, string bucket, string? path, EmulatorJwt jwt, EmulatorDatabase database, CancellationToken ct)
    {
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return problem!;
        }
        await using var scope = await RlsScope.BeginAsync(database, identity, ct);
        await using var command = scope.Command(
            "select row_to_json(o)::text from (select id, name, version, bucket_id, owner_id, created_at, updated_at, last_accessed_at, " +
            "metadata ->> 'size' as size, metadata ->> 'mimetype' as content_type, metadata ->> 'cacheControl' as cache_control, " +
            "metadata ->> 'eTag' as etag, metadata ->> 'lastModified' as last_modified, user_metadata as metadata " +
            "from storage.objects where bucket_id = $1 and name = $2) o", bucket, path ?? "");
        return await command.ExecuteScalarAsync(ct) is string json ? Results.Text(json, "application/json") : StorageErrors.NoSuchKey();
    }

    /// <summary>
    /// storage.search's answer for one folder level: files under <c>prefix</c> with their rows, deeper paths folded
    /// into folder entries (null id and metadata); <c>search</c> filters names by prefix, case-insensitively.
    /// </summary>
    private static async Task<IResult> ListAsync(HttpContext context, string bucket, EmulatorJwt jwt, EmulatorDatabase database, CancellationToken ct)
    {
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return problem!;
        }
        var body = await ReadJsonAsync(context, ct);
        var prefix = body?["prefix"]?.GetValue<string>() ?? "";
        if (prefix.Length > 0 && !prefix.EndsWith('/'))
        {
            prefix += "/";
        }
        var search = body?["search"]?.GetValue<string>() ?? "";
        var limit = Number(body?["limit"]) ?? 100;
        var offset = Number(body?["offset"]) ?? 0;
        var column = body?["sortBy"]?["column"]?.GetValue<string>() ?? "name";
        var descending = string.Equals(body?["sortBy"]?["order"]?.GetValue<string>(), "desc", StringComparison.OrdinalIgnoreCase);

        var entries = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        await using (var scope = await RlsScope.BeginAsync(database, identity, ct))
        {
            await using var command = scope.Command(
                "select name, id, updated_at, created_at, last_accessed_at, metadata::text from storage.objects where bucket_id = $1 and starts_with(name, $2)",
                bucket, prefix);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var rest = reader.GetString(0)[prefix.Length..];
                var slash = rest.IndexOf('/');
                var entryName = slash < 0 ? rest : rest[..slash];
                if (!entryName.StartsWith(search, StringComparison.OrdinalIgnoreCase) || entries.ContainsKey(entryName))
                {
                    continue;
                }
                entries[entryName] = slash >= 0
                    ? new JsonObject { ["name"] = entryName, ["id"] = null, ["updated_at"] = null, ["created_at"] = null, ["last_accessed_at"] = null, ["metadata"] = null }
                    : new JsonObject
                    {
                        ["name"] = entryName,
                        ["id"] = reader.GetGuid(1).ToString(),
                        ["updated_at"] = reader.GetFieldValue<DateTimeOffset>(2).ToString("O"),
                        ["created_at"] = reader.GetFieldValue<DateTimeOffset>(3).ToString("O"),
                        ["last_accessed_at"] = reader.GetFieldValue<DateTimeOffset>(4).ToString("O"),
                        ["metadata"] = reader.IsDBNull(5) ? null : JsonNode.Parse(reader.GetString(5)),
                    };
            }
        }
        var key = column is "name" or "created_at" or "updated_at" or "last_accessed_at" ? column : "name";
        IEnumerable<JsonObject> sorted = entries.Values.OrderBy(e => e[key]?.GetValue<string>() ?? "", StringComparer.Ordinal);
        if (descending)
        {
            sorted = sorted.Reverse();
        }
        return Results.Json(new JsonArray([.. sorted.Skip(offset).Take(limit)]));
    }

    /// <summary>DELETE /object/{bucket} {prefixes}: deletes what RLS lets the caller delete and returns those rows.</summary>
    private static async Task<IResult> RemoveManyAsync(HttpContext context, string bucket, EmulatorJwt jwt, EmulatorDatabase database, ObjectFiles files, CancellationToken ct)
    {
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return problem!;
        }
        var prefixes = (await ReadJsonAsync(context, ct))?["prefixes"] as JsonArray;
        if (prefixes is null || prefixes.Count == 0 || prefixes.Any(p => p is not JsonValue))
        {
            return StorageErrors.InvalidRequest("body must have required property 'prefixes'");
        }
        var names = prefixes.Select(p => p!.GetValue<string>()).ToArray();
        var (rows, versions, refused) = await DeleteAsync(identity, database, "bucket_id = $1 and name = any($2)", ct, bucket, names);
        if (refused is not null)
        {
            return refused;
        }
        foreach (var version in versions)
        {
            files.Delete(version);
        }
        return Results.Json(rows);
    }

    private static async Task<IResult> RemoveOneAsync(HttpContext context, string bucket, string? path, EmulatorJwt jwt, EmulatorDatabase database, ObjectFiles files, CancellationToken ct)
    {
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return problem!;
        }
        var (rows, versions, refused) = await DeleteAsync(identity, database, "bucket_id = $1 and name = $2", ct, bucket, path ?? "");
        if (refused is not null)
        {
            return refused;
        }
        if (rows.Count == 0)
        {
            return StorageErrors.NoSuchKey();
        }
        foreach (var version in versions)
        {
            files.Delete(version);
        }
        return Results.Json(new JsonObject { ["message"] = "Successfully deleted" });
    }

    private static async Task<(JsonArray Rows, List<string> Versions, IResult? Problem)> DeleteAsync(PostgRest.RequestIdentity identity, EmulatorDatabase database,
        string where, CancellationToken ct, params object[] parameters)
    {
        var rows = new JsonArray();
        var versions = new List<string>();
        try
        {
            await using var scope = await RlsScope.BeginAsync(database, identity, ct);
            await using (var command = scope.Command(
                "with deleted as (delete from storage.objects where " + where + " returning *) " +
                "select version, json_build_object('bucket_id', bucket_id, 'name', name, 'owner', owner, 'owner_id', owner_id, 'id', id, " +
                "'updated_at', updated_at, 'created_at', created_at, 'last_accessed_at', last_accessed_at, 'metadata', metadata, " +
                "'user_metadata', user_metadata, 'version', version)::text from deleted", parameters))
            {
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    if (!reader.IsDBNull(0))
                    {
                        versions.Add(reader.GetString(0));
                    }
                    rows.Add(JsonNode.Parse(reader.GetString(1)));
                }
            }
            await scope.CommitAsync(ct);
        }
        catch (PostgresException e)
        {
            return (rows, versions, StorageErrors.FromPostgres(e));
        }
        return (rows, versions, null);
    }

    /// <summary>POST /object/move: one UPDATE as the caller (RLS: USING on the source row, WITH CHECK on the moved one); the bytes stay.</summary>
    private static async Task<IResult> MoveAsync(HttpContext context, EmulatorJwt jwt, EmulatorDatabase database, CancellationToken ct)
    {
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return problem!;
        }
        if (MoveRequest.From(await ReadJsonAsync(context, ct)) is not { } move)
        {
            return StorageErrors.InvalidRequest("body must have required properties 'bucketId', 'sourceKey' and 'destinationKey'");
        }
        if (!ObjectKeys.IsValid(move.DestinationKey))
        {
            return StorageErrors.InvalidKey(move.DestinationKey);
        }
        try
        {
            await using var scope = await RlsScope.BeginAsync(database, identity, ct);
            await using var command = scope.Command(
                "update storage.objects set bucket_id = $3, name = $4, updated_at = now() where bucket_id = $1 and name = $2",
                move.BucketId, move.SourceKey, move.DestinationBucket, move.DestinationKey);
            if (await command.ExecuteNonQueryAsync(ct) == 0)
            {
                return StorageErrors.NoSuchKey();
            }
            await scope.CommitAsync(ct);
        }
        catch (PostgresException e)
        {
            return StorageErrors.FromPostgres(e);
        }
        return Results.Json(new JsonObject { ["message"] = "Successfully moved" });
    }

    /// <summary>POST /object/copy: the source as the caller may read it, a new row (owned by the caller) as the caller may insert it.</summary>
    private static async Task<IResult> CopyAsync(HttpContext context, EmulatorJwt jwt, StoredObjects objects, CancellationToken ct)
    {
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return problem!;
        }
        if (MoveRequest.From(await ReadJsonAsync(context, ct)) is not { } copy)
        {
            return StorageErrors.InvalidRequest("body must have required properties 'bucketId', 'sourceKey' and 'destinationKey'");
        }
        if (!ObjectKeys.IsValid(copy.DestinationKey))
        {
            return StorageErrors.InvalidKey(copy.DestinationKey);
        }
        if (await objects.FindAsync(identity, copy.BucketId, copy.SourceKey, ct) is not { } source)
        {
            return StorageErrors.NoSuchKey();
        }
        var upsert = ObjectUploads.Upsert(context.Request);
        if (await objects.CheckWriteAsync(identity, copy.DestinationBucket, copy.DestinationKey, upsert, ct) is { } refused)
        {
            return refused;
        }
        var version = Guid.NewGuid().ToString("N");
        await objects.Files.CopyAsync(source.Version, version, ct);
        var attributes = new UploadAttributes(
            source.Metadata["mimetype"]?.GetValue<string>() ?? "application/octet-stream",
            source.Metadata["cacheControl"]?.GetValue<string>() ?? "no-cache", null);
        var size = source.Metadata["size"]?.GetValue<long>() ?? new FileInfo(objects.Files.PathOf(version)).Length;
        var eTag = (source.Metadata["eTag"]?.GetValue<string>() ?? "").Trim('"');
        return await objects.CommitAsync(identity, StorageCaller.Subject(identity), copy.DestinationBucket, copy.DestinationKey, upsert, version, size, eTag, attributes, ct);
    }

    public static async Task<JsonNode?> ReadJsonAsync(HttpContext context, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: ct);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static int? Number(JsonNode? node) => node is JsonValue value && value.TryGetValue<int>(out var n) && n >= 0 ? n : null;

    private sealed record MoveRequest(string BucketId, string SourceKey, string DestinationKey, string DestinationBucket)
    {
        public static MoveRequest? From(JsonNode? body)
        {
            string? Text(string name) => body?[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
            return Text("bucketId") is { } bucket && Text("sourceKey") is { } source && Text("destinationKey") is { } destination
                ? new MoveRequest(bucket, source, destination, Text("destinationBucket") ?? bucket)
                : null;
        }
    }
}
