using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using SupabaseEmulator.Database;
using SupabaseEmulator.GoTrue;
using SupabaseEmulator.PostgRest;

namespace SupabaseEmulator.Storage;

/// <summary>/storage/v1/bucket: StorageBucketApi's calls, each one statement as the caller (RLS on storage.buckets).</summary>
public static class BucketEndpoints
{
    private const string Columns = "id, name, owner, public, file_size_limit, allowed_mime_types, created_at, updated_at";

    public static RouteGroupBuilder MapBucketRoutes(this RouteGroupBuilder storage)
    {
        storage.MapGet("/bucket", (HttpContext c, EmulatorJwt jwt, EmulatorDatabase db, CancellationToken ct) =>
            RunAsync(c, jwt, db, async (scope, _) => Results.Text(await Scalar(scope, $"select coalesce(json_agg(b order by b.name), '[]')::text from (select {Columns} from storage.buckets) b", ct) as string ?? "[]", "application/json"), ct));
        storage.MapGet("/bucket/{id}", (HttpContext c, string id, EmulatorJwt jwt, EmulatorDatabase db, CancellationToken ct) =>
            RunAsync(c, jwt, db, async (scope, _) => await Scalar(scope, $"select row_to_json(b)::text from (select {Columns} from storage.buckets where id = $1) b", ct, id) is string json
                ? Results.Text(json, "application/json") : StorageErrors.NoSuchBucket(), ct));
        storage.MapPost("/bucket", CreateAsync);
        storage.MapPut("/bucket/{id}", UpdateAsync);
        storage.MapPost("/bucket/{id}/empty", (HttpContext c, string id, EmulatorJwt jwt, EmulatorDatabase db, CancellationToken ct) =>
            RunAsync(c, jwt, db, async (scope, _) =>
            {
                await Scalar(scope, "delete from storage.objects where bucket_id = $1", ct, id);
                await scope.CommitAsync(ct);
                return Results.Json(new JsonObject { ["message"] = "Successfully emptied" });
            }, ct));
        storage.MapDelete("/bucket/{id}", (HttpContext c, string id, EmulatorJwt jwt, EmulatorDatabase db, CancellationToken ct) =>
            RunAsync(c, jwt, db, async (scope, _) =>
            {
                if (await Scalar(scope, "select exists (select 1 from storage.objects where bucket_id = $1)", ct, id) is true)
                {
                    return StorageErrors.Error(409, "ResourceNotEmpty", "The bucket you tried to delete is not empty");
                }
                await using var delete = scope.Command("delete from storage.buckets where id = $1", id);
                if (await delete.ExecuteNonQueryAsync(ct) == 0)
                {
                    return StorageErrors.NoSuchBucket();
                }
                await scope.CommitAsync(ct);
                return Results.Json(new JsonObject { ["message"] = "Successfully deleted" });
            }, ct));
        return storage;
    }

    private static Task<IResult> CreateAsync(HttpContext context, EmulatorJwt jwt, EmulatorDatabase database, CancellationToken ct) =>
        RunAsync(context, jwt, database, async (scope, identity) =>
        {
            var body = await ObjectEndpoints.ReadJsonAsync(context, ct);
            var name = body?["name"] is JsonValue n && n.TryGetValue<string>(out var text) ? text : null;
            if (name is null || !IsValidBucketName(name))
            {
                return StorageErrors.Error(400, "InvalidBucketName", "Bucket name invalid", "Invalid Input");
            }
            var id = body?["id"] is JsonValue i && i.TryGetValue<string>(out var given) ? given : name;
            if (!Settings(body, out var isPublic, out var limit, out var mimeTypes, out var problem))
            {
                return problem!;
            }
            var owner = StorageCaller.Subject(identity);
            await using var insert = scope.Command(
                "insert into storage.buckets (id, name, owner, owner_id, public, file_size_limit, allowed_mime_types) values ($1, $2, $3::uuid, $3, $4, $5, $6)",
                id, name, owner, isPublic ?? false, limit, mimeTypes);
            await insert.ExecuteNonQueryAsync(ct);
            await scope.CommitAsync(ct);
            return Results.Json(new JsonObject { ["name"] = name });
        }, ct);

    private static Task<IResult> UpdateAsync(HttpContext context, string id, EmulatorJwt jwt, EmulatorDatabase database, CancellationToken ct) =>
        RunAsync(context, jwt, database, async (scope, _) =>
        {
            var body = await ObjectEndpoints.ReadJsonAsync(context, ct);
            if (!Settings(body, out var isPublic, out var limit, out var mimeTypes, out var problem))
            {
                return problem!;
            }
            await using var update = scope.Command(
                "update storage.buckets set public = coalesce($2, public), file_size_limit = $3, allowed_mime_types = $4, updated_at = now() where id = $1",
                id, isPublic, limit, mimeTypes);
            if (await update.ExecuteNonQueryAsync(ct) == 0)
            {
                return StorageErrors.NoSuchBucket();
            }
            await scope.CommitAsync(ct);
            return Results.Json(new JsonObject { ["message"] = "Successfully updated" });
        }, ct);

    private static async Task<IResult> RunAsync(HttpContext context, EmulatorJwt jwt, EmulatorDatabase database, Func<RlsScope, RequestIdentity, Task<IResult>> action, CancellationToken ct)
    {
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return problem!;
        }
        try
        {
            await using var scope = await RlsScope.BeginAsync(database, identity, ct);
            return await action(scope, identity);
        }
        catch (PostgresException e) when (e.SqlState == "23505")
        {
            return StorageErrors.Error(409, "BucketAlreadyExists", "The resource already exists", "Duplicate");
        }
        catch (PostgresException e)
        {
            return StorageErrors.FromPostgres(e);
        }
    }

    private static async Task<object?> Scalar(RlsScope scope, string sql, CancellationToken ct, params object?[] parameters)
    {
        await using var command = scope.Command(sql, parameters);
        var value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    private static bool IsValidBucketName(string name) =>
        name.Length is > 0 and <= 100 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ' ' or '!' or '*' or '\'' or '(' or ')' or '&' or '$' or '@' or '=' or ';' or ':' or '+' or ',' or '?');

    /// <summary>public, file_size_limit (bytes, or "20MB"-style text as storage-api accepts) and allowed_mime_types.</summary>
    private static bool Settings(JsonNode? body, out bool? isPublic, out long? limit, out string[]? mimeTypes, out IResult? problem)
    {
        isPublic = body?["public"] is JsonValue p && p.TryGetValue<bool>(out var flag) ? flag : null;
        mimeTypes = body?["allowed_mime_types"] is JsonArray types ? [.. types.Select(t => t?.ToString() ?? "")] : null;
        limit = null;
        problem = null;
        switch (body?["file_size_limit"])
        {
            case null:
                return true;
            case JsonValue v when v.TryGetValue<long>(out var bytes) && bytes > 0:
                limit = bytes;
                return true;
            case JsonValue v when v.TryGetValue<string>(out var text) && ParseSize(text) is { } parsed:
                limit = parsed;
                return true;
            default:
                problem = StorageErrors.InvalidRequest("Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B");
                return false;
        }
    }

    private static long? ParseSize(string text)
    {
        text = text.Trim().ToUpperInvariant();
        foreach (var (unit, factor) in new[] { ("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10), ("B", 1L) })
        {
            if (text.EndsWith(unit, StringComparison.Ordinal) && long.TryParse(text[..^unit.Length].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return n * factor;
            }
        }
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var plain) ? plain : null;
    }
}
