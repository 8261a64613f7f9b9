using System.Text.Json.Nodes;
using Npgsql;

namespace SupabaseEmulator.PostgRest;

/// <summary>PostgREST's error body <c>{code, details, hint, message}</c> and its SQLSTATE → HTTP status table (docs/supabase-contract.md §3.2).</summary>
public static class PostgRestErrors
{
    public static IResult Error(int status, string code, string message, string? details = null, string? hint = null) =>
        Results.Json(new JsonObject { ["code"] = code, ["details"] = details, ["hint"] = hint, ["message"] = message }, statusCode: status);

    /// <summary>JWT problems: 401 with WWW-Authenticate.</summary>
    public static IResult Jwt(HttpContext context, string code, string message)
    {
        context.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{message}\"";
        return Error(401, code, message);
    }

    public static IResult FromPostgres(PostgresException e, bool jwtSent) =>
        Error(Status(e.SqlState, jwtSent), e.SqlState, e.MessageText, e.Detail, e.Hint);

    private static int Status(string sqlState, bool jwtSent) => sqlState switch
    {
        "42501" => jwtSent ? 403 : 401,
        "22023" => 401, // role from the JWT does not exist
        "23503" or "23505" => 409,
        "25006" => 405,
        "42883" or "42P01" => 404,
        "P0001" => 400,
        "42P17" => 500,
        _ when sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("53", StringComparison.Ordinal) => 503,
        _ when sqlState.StartsWith("0L", StringComparison.Ordinal) || sqlState.StartsWith("0P", StringComparison.Ordinal) || sqlState.StartsWith("28", StringComparison.Ordinal) => 403,
        _ when sqlState.StartsWith("54", StringComparison.Ordinal) => 413,
        _ when sqlState[..2] is "09" or "25" or "2D" or "38" or "39" or "3B" or "40" or "55" or "57" or "58" or "F0" or "HV" or "P0" or "XX" => 500,
        _ => 400,
    };
}
