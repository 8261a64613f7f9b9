using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using SupabaseEmulator.Database;

namespace SupabaseEmulator.GoTrue;

/// <summary>
/// GoTrue's admin routes for one user (service_role only): PUT /admin/users/{id} (metadata, email, ban_duration)
/// and DELETE /admin/users/{id} (hard, or soft with should_soft_delete). They change auth.users rows, so database
/// triggers on that table fire as they do against Supabase.
/// </summary>
public static partial class AdminUserEndpoints
{
    public static async Task<IResult> UpdateAsync(HttpContext context, string id, EmulatorJwt jwt, AuthUsers users, EmulatorDatabase database, CancellationToken ct)
    {
        if (RequireAdmin(context, jwt) is { } refused)
        {
            return refused;
        }
        if (!Guid.TryParse(id, out var userId) || await users.FindByIdAsync(userId, ct) is null)
        {
            return GoTrueErrors.Error(context, 404, "user_not_found", "User not found");
        }
        if (await JsonBody.ReadAsync(context.Request, ct) is not { } body)
        {
            return JsonBody.BadJson(context);
        }
        TimeSpan? ban = null;
        var banDuration = body.String("ban_duration");
        if (banDuration is not null && banDuration != "none")
        {
            if (ParseGoDuration(banDuration) is not { } parsed)
            {
                return GoTrueErrors.Error(context, 400, "validation_failed", "invalid format for ban duration: " + banDuration);
            }
            ban = parsed;
        }
        var email = body.String("email")?.Trim().ToLowerInvariant();
        if (email is not null && await users.EmailTakenAsync(email, userId, ct))
        {
            return GoTrueErrors.Error(context, 422, "email_exists", "A user with this email address has already been registered");
        }
        // Metadata updates merge; a null member removes the key (GoTrue's UpdateUserMetaData).
        await using var command = database.Admin.CreateCommand(
            "update auth.users set " +
            "raw_user_meta_data = case when $2::jsonb is null then raw_user_meta_data else jsonb_strip_nulls(raw_user_meta_data || $2::jsonb) end, " +
            "raw_app_meta_data = case when $3::jsonb is null then raw_app_meta_data else jsonb_strip_nulls(raw_app_meta_data || $3::jsonb) end, " +
            "email = coalesce($4, email), " +
            "banned_until = case when $5 then (case when $6::float8 is null then null else now() + make_interval(secs => $6::float8) end) else banned_until end, " +
            "updated_at = now() where id = $1");
        command.Parameters.Add(new() { Value = userId });
        command.Parameters.Add(new() { Value = (object?)(body["user_metadata"] as JsonObject)?.ToJsonString() ?? DBNull.Value, DataTypeName = "text" });
        command.Parameters.Add(new() { Value = (object?)(body["app_metadata"] as JsonObject)?.ToJsonString() ?? DBNull.Value, DataTypeName = "text" });
        command.Parameters.Add(new() { Value = (object?)email ?? DBNull.Value, DataTypeName = "text" });
        command.Parameters.Add(new() { Value = banDuration is not null });
        command.Parameters.Add(new() { Value = (object?)ban?.TotalSeconds ?? DBNull.Value, DataTypeName = "double precision" });
        await command.ExecuteNonQueryAsync(ct);
        return Results.Json((await users.FindByIdAsync(userId, ct))!.ToJson());
    }

    public static async Task<IResult> DeleteAsync(HttpContext context, string id, EmulatorJwt jwt, AuthUsers users, EmulatorDatabase database, CancellationToken ct)
    {
        if (RequireAdmin(context, jwt) is { } refused)
        {
            return refused;
        }
        if (!Guid.TryParse(id, out var userId) || await users.FindByIdAsync(userId, ct) is null)
        {
            return GoTrueErrors.Error(context, 404, "user_not_found", "User not found");
        }
        if (await JsonBody.ReadAsync(context.Request, ct) is not { } body)
        {
            return JsonBody.BadJson(context);
        }
        var soft = body.Bool("should_soft_delete") ?? bool.TryParse(context.Request.Query["should_soft_delete"], out var flag) && flag;
        await using var connection = await database.Admin.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // Soft delete keeps the row but makes it unusable, as GoTrue does: credentials and identities go, the
        // email and phone are released, deleted_at is set. Either way the user's sessions end.
        var sql = soft
            ? "delete from auth.sessions where user_id = $1; delete from auth.identities where user_id = $1; " +
              "update auth.users set deleted_at = now(), email = null, phone = null, encrypted_password = null, " +
              "raw_user_meta_data = '{}', updated_at = now() where id = $1"
            : "delete from auth.users where id = $1";
        foreach (var statement in sql.Split("; "))
        {
            await using var command = new NpgsqlCommand(statement, connection, transaction);
            command.Parameters.Add(new() { Value = userId });
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
        return Results.Json(new JsonObject());
    }

    /// <summary>403 not_admin unless the bearer token is a valid service_role JWT (GOTRUE_JWT_ADMIN_ROLES).</summary>
    private static IResult? RequireAdmin(HttpContext context, EmulatorJwt jwt)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return GoTrueErrors.Error(context, 401, "no_authorization", "This endpoint requires a valid Bearer token");
        }
        if (jwt.Verify(header[7..].Trim(), 0, out var claims) != JwtProblem.None)
        {
            return GoTrueErrors.Error(context, 403, "bad_jwt", "invalid JWT: unable to parse or verify signature, token signature is invalid");
        }
        return claims!["role"]?.ToString() == "service_role" ? null : GoTrueErrors.Error(context, 403, "not_admin", "User not allowed");
    }

    /// <summary>Go's time.ParseDuration for the units ban_duration uses ("24h", "1h30m", "90s", "500ms").</summary>
    internal static TimeSpan? ParseGoDuration(string value)
    {
        var matches = DurationPart().Matches(value);
        if (matches.Count == 0 || string.Concat(matches.Select(m => m.Value)) != value)
        {
            return null;
        }
        var total = TimeSpan.Zero;
        foreach (Match match in matches)
        {
            var amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            total += match.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "s" => TimeSpan.FromSeconds(amount),
                _ => TimeSpan.FromMilliseconds(amount),
            };
        }
        return total;
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s)")]
    private static partial Regex DurationPart();
}
