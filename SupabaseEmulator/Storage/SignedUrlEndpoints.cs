using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using SupabaseEmulator.GoTrue;

namespace SupabaseEmulator.Storage;

/// <summary>
/// createSignedUrl(s) and createSignedUploadUrl: HS256 tokens signed with the project secret whose <c>url</c> claim
/// is "bucket/path". Creating needs the caller's right (select for downloads, the insert/upsert test for uploads);
/// using the token needs nothing else, so a signed URL works without any session.
/// </summary>
public static class SignedUrlEndpoints
{
    public static RouteGroupBuilder MapSignedUrlRoutes(this RouteGroupBuilder storage)
    {
        storage.MapPost("/object/sign/{bucket}", SignManyAsync);
        storage.MapPost("/object/sign/{bucket}/{**path}", SignOneAsync);
        storage.MapMethods("/object/sign/{bucket}/{**path}", ["GET", "HEAD"], DownloadAsync);
        storage.MapPost("/object/upload/sign/{bucket}/{**path}", SignUploadAsync);
        storage.MapPut("/object/upload/sign/{bucket}/{**path}", UploadAsync);
        return storage;
    }

    private static async Task<IResult> SignOneAsync(HttpContext context, string bucket, string? path, EmulatorJwt jwt, StoredObjects objects, TimeProvider time, CancellationToken ct)
    {
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return problem!;
        }
        if (ExpiresIn(await ObjectEndpoints.ReadJsonAsync(context, ct)) is not { } expiresIn)
        {
            return StorageErrors.InvalidRequest("body must have required property 'expiresIn'");
        }
        if (await objects.FindAsync(identity, bucket, path ?? "", ct) is null)
        {
            return StorageErrors.NoSuchKey();
        }
        return Results.Json(new JsonObject { ["signedURL"] = SignedUrl(jwt, time, bucket, path!, expiresIn) });
    }

    private static async Task<IResult> SignManyAsync(HttpContext context, string bucket, EmulatorJwt jwt, StoredObjects objects, TimeProvider time, CancellationToken ct)
    {
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return problem!;
        }
        var body = await ObjectEndpoints.ReadJsonAsync(context, ct);
        if (ExpiresIn(body) is not { } expiresIn || body?["paths"] is not JsonArray paths || paths.Any(p => p is not JsonValue))
        {
            return StorageErrors.InvalidRequest("body must have required properties 'expiresIn' and 'paths'");
        }
        var results = new JsonArray();
        foreach (var path in paths.Select(p => p!.GetValue<string>()))
        {
            var visible = await objects.FindAsync(identity, bucket, path, ct) is not null;
            results.Add(new JsonObject
            {
                ["error"] = visible ? null : "Either the object does not exist or you do not have access to it",
                ["path"] = path,
                ["signedURL"] = visible ? SignedUrl(jwt, time, bucket, path, expiresIn) : null,
            });
        }
        return Results.Json(results);
    }

    private static async Task<IResult> DownloadAsync(HttpContext context, string bucket, string? path, EmulatorJwt jwt, StoredObjects objects, CancellationToken ct)
    {
        if (Verify(context, jwt, bucket, path) is { Problem: { } refused })
        {
            return refused;
        }
        return await objects.FindAsync(null, bucket, path ?? "", ct) is { } stored ? ObjectDownloads.Serve(context, objects.Files, stored) : StorageErrors.NoSuchKey();
    }

    private static async Task<IResult> SignUploadAsync(HttpContext context, string bucket, string? path, EmulatorJwt jwt, StoredObjects objects,
        TimeProvider time, IOptions<StorageEmulatorOptions> options, CancellationToken ct)
    {
        var (identity, problem) = StorageCaller.FromRequest(context, jwt);
        if (identity is null)
        {
            return problem!;
        }
        var name = path ?? "";
        if (!ObjectKeys.IsValid(name))
        {
            return StorageErrors.InvalidKey(name);
        }
        if (await objects.FindBucketAsync(bucket, ct) is null)
        {
            return StorageErrors.NoSuchBucket();
        }
        var upsert = ObjectUploads.Upsert(context.Request);
        if (await objects.CheckWriteAsync(identity, bucket, name, upsert, ct) is { } refused)
        {
            return refused;
        }
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var token = jwt.Sign(new JsonObject
        {
            ["owner"] = StorageCaller.Subject(identity),
            ["url"] = $"{bucket}/{name}",
            ["upsert"] = upsert,
            ["iat"] = now,
            ["exp"] = now + options.Value.SignedUploadUrlLifetimeSeconds,
        });
        return Results.Json(new JsonObject { ["url"] = $"/object/upload/sign/{bucket}/{name}?token={token}", ["token"] = token });
    }

    /// <summary>uploadToSignedUrl: written as the database owner, owned by the token's creator, upsert as the token says.</summary>
    private static async Task<IResult> UploadAsync(HttpContext context, string bucket, string? path, EmulatorJwt jwt, StoredObjects objects, CancellationToken ct)
    {
        var (claims, refused) = Verify(context, jwt, bucket, path);
        if (refused is not null)
        {
            return refused;
        }
        var owner = claims!["owner"] is JsonValue o && o.TryGetValue<string>(out var sub) ? sub : null;
        var upsert = claims["upsert"] is JsonValue u && u.TryGetValue<bool>(out var yes) && yes;
        return await ObjectUploads.UploadAsync(context, null, owner, bucket, path ?? "", upsert, objects, ct);
    }

    private static (JsonObject? Claims, IResult? Problem) Verify(HttpContext context, EmulatorJwt jwt, string bucket, string? path)
    {
        var token = context.Request.Query["token"].ToString();
        if (token.Length == 0)
        {
            return (null, StorageErrors.InvalidRequest("querystring must have required property 'token'"));
        }
        return jwt.Verify(token, 0, out var claims) switch
        {
            JwtProblem.None when claims!["url"] is JsonValue url && url.TryGetValue<string>(out var signed) && signed == $"{bucket}/{path}" => (claims, null),
            JwtProblem.None => (null, StorageErrors.InvalidSignature()),
            JwtProblem.Expired => (null, StorageErrors.Error(400, "InvalidJWT", "\"exp\" claim timestamp check failed")),
            _ => (null, StorageErrors.InvalidSignature("signature verification failed")),
        };
    }

    private static int? ExpiresIn(JsonNode? body) =>
        body?["expiresIn"] is JsonValue value && value.TryGetValue<double>(out var seconds) && seconds >= 1 ? (int)Math.Min(seconds, int.MaxValue) : null;

    private static string SignedUrl(EmulatorJwt jwt, TimeProvider time, string bucket, string path, int expiresIn)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var token = jwt.Sign(new JsonObject { ["url"] = $"{bucket}/{path}", ["iat"] = now, ["exp"] = now + expiresIn });
        return $"/object/sign/{bucket}/{path}?token={token}";
    }
}
