using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;

namespace SupabaseEmulator.Storage;

/// <summary>
/// storage-api's error body <c>{statusCode, code, error, message}</c>. As storage-api does, the HTTP status is 400
/// for every client error (500 for server errors) and the meaningful status travels as the string
/// <c>statusCode</c> in the body; only the resumable (TUS) routes answer with the real status.
/// </summary>
public static class StorageErrors
{
    public static IResult Error(int statusCode, string code, string message, string? error = null, int? httpStatus = null) =>
        Results.Json(new JsonObject
        {
            ["statusCode"] = statusCode.ToString(CultureInfo.InvariantCulture),
            ["code"] = code,
            ["error"] = error ?? code,
            ["message"] = message,
        }, statusCode: httpStatus ?? (statusCode >= 500 ? 500 : 400));

    public static IResult NoSuchBucket() => Error(404, "NoSuchBucket", "Bucket not found", "Bucket not found");

    public static IResult NoSuchKey() => Error(404, "NoSuchKey", "Object not found", "not_found");

    public static IResult AccessDenied(string message) => Error(403, "AccessDenied", message, "Unauthorized");

    public static IResult Duplicate() => Error(409, "Duplicate", "The resource already exists", "Duplicate");

    public static IResult InvalidJwt(string message) => Error(400, "InvalidJWT", message);

    public static IResult InvalidSignature(string message = "Invalid signature") => Error(400, "InvalidSignature", message);

    public static IResult InvalidRequest(string message) => Error(400, "InvalidRequest", message);

    public static IResult InvalidKey(string key) => Error(400, "InvalidKey", $"Invalid key: {key}");

    public static IResult EntityTooLarge(int? httpStatus = null) =>
        Error(413, "EntityTooLarge", "The object exceeded the maximum allowed size", "Payload too large", httpStatus);

    public static IResult InvalidMimeType(string mimeType, int? httpStatus = null) =>
        Error(415, "InvalidMimeType", $"mime type {mimeType} is not supported", "invalid_mime_type", httpStatus);

    /// <summary>What a refused statement means to a storage client: RLS and grants → 403, uniqueness → 409.</summary>
    public static IResult FromPostgres(PostgresException e) => e.SqlState switch
    {
        "42501" => AccessDenied(e.MessageText),
        "23505" => Duplicate(),
        "23503" => NoSuchBucket(),
        _ => Error(500, "DatabaseError", "database error, code: " + e.SqlState),
    };
}
