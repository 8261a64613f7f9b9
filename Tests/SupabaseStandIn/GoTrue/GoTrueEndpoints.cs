using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using SupabaseStandIn.Database;

namespace SupabaseStandIn.GoTrue;

/// <summary>
/// GoTrue behind the API gateway (/auth/v1/*), contract §1 and §7: sessions and rotating refresh tokens in
/// Postgres, access tokens with GoTrue's claims (§2.1), both error formats.
/// </summary>
public static class GoTrueEndpoints
{
    /// <summary>Refresh-token spends per GoTrue session, for tests of single-flight refresh.</summary>
    public static readonly ConcurrentDictionary<string, int> RefreshSpends = new();

    private const string UserColumns = "id, aud, role, email, email_confirmed_at, confirmation_sent_at, phone, raw_app_meta_data, raw_user_meta_data, banned_until, is_anonymous, last_sign_in_at, created_at, updated_at";

    public static IEndpointRouteBuilder MapGoTrue(this IEndpointRouteBuilder endpoints)
    {
        var auth = endpoints.MapGroup("/auth/v1");
        auth.MapGet("/health", () => Results.Json(new { version = "standin", name = "GoTrue", description = "GoTrue stand-in for tests (not Supabase)" }));
        auth.MapGet("/settings", (IOptions<StandInOptions> o) => Results.Json(new
        {
            external = new { email = true, phone = false, anonymous_users = false },
            disable_signup = false,
            mailer_autoconfirm = o.Value.Autoconfirm,
            phone_autoconfirm = false,
            sms_provider = "",
            saml_enabled = false,
        }));
        auth.MapGet("/.well-known/jwks.json", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "public, max-age=600";
            return Results.Json(new { keys = Array.Empty<object>() });
        });
        auth.MapPost("/signup", SignUpAsync);
        auth.MapPost("/token", TokenAsync);
        auth.MapPost("/logout", LogoutAsync);
        auth.MapGet("/user", GetUserAsync);
        auth.MapPut("/user", UpdateUserAsync);
        endpoints.MapGet("/__standin/refresh-spends", () => Results.Json(RefreshSpends));
        return endpoints;
    }

    private static async Task<IResult> SignUpAsync(HttpContext context, StandInDatabase db, StandInJwt jwt, IOptions<StandInOptions> options)
    {
        if (await ReadBodyAsync(context) is not { } body)
        {
            return GoTrueErrors.Error(context, 400, "bad_json", "Could not parse request body as JSON");
        }
        var email = body["email"]?.GetValue<string>()?.Trim().ToLowerInvariant();
        var password = body["password"]?.GetValue<string>();
        if (string.IsNullOrEmpty(password))
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "Signup requires a valid password");
        }
        if (string.IsNullOrEmpty(email) || !email.Contains('@'))
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "Unable to validate email address: invalid format");
        }
        if (password.Length < 6)
        {
            context.Response.Headers["x-sb-error-code"] = "weak_password";
            return GoTrueErrors.Error(context, 422, "weak_password", "Password should be at least 6 characters.");
        }
        var autoconfirm = options.Value.Autoconfirm;
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var metadata = body["data"] is JsonObject data ? data.ToJsonString() : "{}";
        await using var insert = new NpgsqlCommand(
            $"insert into auth.users (email, encrypted_password, email_confirmed_at, confirmation_sent_at, raw_user_meta_data, last_sign_in_at) " +
            $"values ($1, crypt($2, gen_salt('bf', 4)), case when $3 then now() end, case when not $3 then now() end, $4::jsonb, case when $3 then now() end) " +
            $"on conflict (email) do nothing returning {UserColumns}", connection)
        {
            Parameters = { new() { Value = email }, new() { Value = password }, new() { Value = autoconfirm }, new() { Value = metadata } },
        };
        var user = await ReadUserAsync(insert);
        if (user is null)
        {
            return autoconfirm
                ? GoTrueErrors.Error(context, 422, "user_already_exists", "User already registered")
                : Results.Json(FakeUser(email)); // does not reveal that the account exists (§1.5)
        }
        return autoconfirm
            ? Results.Json(await IssueSessionAsync(connection, jwt, options.Value, context, user, "password"))
            : Results.Json(user);
    }

    private static async Task<IResult> TokenAsync(HttpContext context, StandInDatabase db, StandInJwt jwt, IOptions<StandInOptions> options)
    {
        var grant = context.Request.Query["grant_type"].ToString();
        if (await ReadBodyAsync(context) is not { } body)
        {
            return GoTrueErrors.Error(context, 400, "bad_json", "Could not parse request body as JSON");
        }
        await using var connection = await db.DataSource.OpenConnectionAsync();
        switch (grant)
        {
            case "password":
            {
                var email = body["email"]?.GetValue<string>()?.Trim().ToLowerInvariant();
                var password = body["password"]?.GetValue<string>();
                if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(password))
                {
                    return GoTrueErrors.Error(context, 400, "validation_failed", "Only an email address or phone number should be provided on login.");
                }
                await using var find = new NpgsqlCommand(
                    $"select {UserColumns} from auth.users where email = $1 and encrypted_password = crypt($2, encrypted_password) and deleted_at is null",
                    connection) { Parameters = { new() { Value = email }, new() { Value = password } } };
                var user = await ReadUserAsync(find);
                if (user is null)
                {
                    return GoTrueErrors.Error(context, 400, "invalid_credentials", "Invalid login credentials");
                }
                if (user["banned_until"] is not null)
                {
                    return GoTrueErrors.Error(context, 400, "user_banned", "User is banned");
                }
                if (user["email_confirmed_at"] is null)
                {
                    return GoTrueErrors.Error(context, 400, "email_not_confirmed", "Email not confirmed");
                }
                await using (var touch = new NpgsqlCommand("update auth.users set last_sign_in_at = now() where id = $1", connection) { Parameters = { new() { Value = Guid.Parse(user["id"]!.GetValue<string>()) } } })
                {
                    await touch.ExecuteNonQueryAsync();
                }
                return Results.Json(await IssueSessionAsync(connection, jwt, options.Value, context, user, "password"));
            }
            case "refresh_token":
                return await RefreshAsync(context, connection, jwt, options.Value, body["refresh_token"]?.GetValue<string>());
            default:
                return GoTrueErrors.Error(context, 400, "invalid_credentials", "unsupported_grant_type");
        }
    }

    private static async Task<IResult> RefreshAsync(HttpContext context, NpgsqlConnection connection, StandInJwt jwt, StandInOptions options, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return Results.Json(new { error = "invalid_request", error_description = "refresh_token required" }, statusCode: 400);
        }
        if (token.Length < 12)
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "Refresh token is not valid");
        }
        await using var transaction = await connection.BeginTransactionAsync();
        await using var find = new NpgsqlCommand(
            "select rt.session_id, rt.revoked, rt.updated_at, s.user_id, s.amr from auth.refresh_tokens rt join auth.sessions s on s.id = rt.session_id where rt.token = $1 for update of rt",
            connection, transaction) { Parameters = { new() { Value = token } } };
        Guid sessionId, userId;
        bool revoked;
        DateTime updatedAt;
        string amr;
        await using (var reader = await find.ExecuteReaderAsync())
        {
            if (!await reader.ReadAsync())
            {
                return GoTrueErrors.Error(context, 400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
            }
            (sessionId, revoked, updatedAt, userId, amr) = (reader.GetGuid(0), reader.GetBoolean(1), reader.GetDateTime(2), reader.GetGuid(3), reader.GetString(4));
        }
        if (revoked && (DateTime.UtcNow - updatedAt).TotalSeconds > options.RefreshReuseIntervalSeconds)
        {
            await using var kill = new NpgsqlCommand("delete from auth.sessions where id = $1", connection, transaction) { Parameters = { new() { Value = sessionId } } };
            await kill.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
            return GoTrueErrors.Error(context, 400, "refresh_token_already_used", "Invalid Refresh Token: Already Used");
        }
        await using var getUser = new NpgsqlCommand($"select {UserColumns} from auth.users where id = $1", connection, transaction) { Parameters = { new() { Value = userId } } };
        var user = await ReadUserAsync(getUser);
        if (user is null)
        {
            return GoTrueErrors.Error(context, 400, "user_not_found", "User not found");
        }
        if (user["banned_until"] is not null)
        {
            return GoTrueErrors.Error(context, 400, "user_banned", "User is banned");
        }
        string next;
        if (revoked)
        {
            // Replay inside the reuse interval: answer with the currently active token instead of failing.
            await using var active = new NpgsqlCommand("select token from auth.refresh_tokens where session_id = $1 and not revoked order by id desc limit 1", connection, transaction) { Parameters = { new() { Value = sessionId } } };
            next = (string?)await active.ExecuteScalarAsync() ?? await NewRefreshTokenAsync(connection, transaction, sessionId, token);
        }
        else
        {
            await using var revoke = new NpgsqlCommand("update auth.refresh_tokens set revoked = true, updated_at = now() where token = $1", connection, transaction) { Parameters = { new() { Value = token } } };
            await revoke.ExecuteNonQueryAsync();
            next = await NewRefreshTokenAsync(connection, transaction, sessionId, token);
            RefreshSpends.AddOrUpdate(sessionId.ToString(), 1, (_, n) => n + 1);
        }
        await using (var refreshed = new NpgsqlCommand("update auth.sessions set refreshed_at = now() where id = $1", connection, transaction) { Parameters = { new() { Value = sessionId } } })
        {
            await refreshed.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        return Results.Json(SessionBody(jwt, options, context, user, sessionId, JsonNode.Parse(amr)!, next));
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, StandInDatabase db, StandInJwt jwt)
    {
        var scope = context.Request.Query["scope"].ToString();
        if (scope is not ("" or "global" or "local" or "others"))
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "Unsupported logout scope");
        }
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var (problem, claims, _) = await AuthenticateAsync(context, connection, jwt);
        if (problem is not null)
        {
            return problem;
        }
        var userId = Guid.Parse(claims!["sub"]!.GetValue<string>());
        var sessionId = claims["session_id"]?.GetValue<string>() is { } sid && Guid.TryParse(sid, out var parsed) ? parsed : (Guid?)null;
        var sql = sessionId is null || scope is "" or "global"
            ? "delete from auth.sessions where user_id = $1"
            : scope == "local" ? "delete from auth.sessions where user_id = $1 and id = $2" : "delete from auth.sessions where user_id = $1 and id <> $2";
        await using var delete = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = userId }, new() { Value = sessionId ?? Guid.Empty } } };
        await delete.ExecuteNonQueryAsync();
        return Results.NoContent();
    }

    private static async Task<IResult> GetUserAsync(HttpContext context, StandInDatabase db, StandInJwt jwt)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var (problem, claims, user) = await AuthenticateAsync(context, connection, jwt);
        if (problem is not null)
        {
            return problem;
        }
        if (string.IsNullOrEmpty(claims!["aud"]?.ToString()))
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "Token audience doesn't match request audience");
        }
        return Results.Json(user);
    }

    private static async Task<IResult> UpdateUserAsync(HttpContext context, StandInDatabase db, StandInJwt jwt)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var (problem, _, user) = await AuthenticateAsync(context, connection, jwt);
        if (problem is not null)
        {
            return problem;
        }
        if (await ReadBodyAsync(context) is not { } body)
        {
            return GoTrueErrors.Error(context, 400, "bad_json", "Could not parse request body as JSON");
        }
        if (body.ContainsKey("app_metadata"))
        {
            return GoTrueErrors.Error(context, 403, "not_admin", "User not allowed");
        }
        var data = body["data"] is JsonObject d ? d.ToJsonString() : "{}";
        await using var update = new NpgsqlCommand(
            $"update auth.users set raw_user_meta_data = raw_user_meta_data || $2::jsonb, updated_at = now() where id = $1 returning {UserColumns}", connection)
        { Parameters = { new() { Value = Guid.Parse(user!["id"]!.GetValue<string>()) }, new() { Value = data } } };
        return Results.Json(await ReadUserAsync(update));
    }

    /// <summary>GoTrue's JWT rules for user endpoints (§1.6, §1.7).</summary>
    private static async Task<(IResult? Problem, JsonObject? Claims, JsonObject? User)> AuthenticateAsync(HttpContext context, NpgsqlConnection connection, StandInJwt jwt)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return (GoTrueErrors.Error(context, 401, "no_authorization", "This endpoint requires a valid Bearer token"), null, null);
        }
        var problem = jwt.Verify(header[7..].Trim(), 0, out var claims);
        if (problem != JwtProblem.None)
        {
            var detail = problem == JwtProblem.Expired ? "token has invalid claims: token is expired" : "signature is invalid";
            return (GoTrueErrors.Error(context, 403, "bad_jwt", "invalid JWT: unable to parse or verify signature, " + detail), null, null);
        }
        if (!Guid.TryParse(claims!["sub"]?.ToString(), out var userId))
        {
            return (GoTrueErrors.Error(context, 403, "bad_jwt", "invalid claim: missing sub claim"), null, null);
        }
        await using var find = new NpgsqlCommand($"select {UserColumns} from auth.users where id = $1 and deleted_at is null", connection) { Parameters = { new() { Value = userId } } };
        var user = await ReadUserAsync(find);
        if (user is null)
        {
            return (GoTrueErrors.Error(context, 403, "user_not_found", "User from sub claim in JWT does not exist"), null, null);
        }
        if (claims["session_id"]?.ToString() is { } sid && Guid.TryParse(sid, out var sessionId) && sessionId != Guid.Empty)
        {
            await using var session = new NpgsqlCommand("select 1 from auth.sessions where id = $1", connection) { Parameters = { new() { Value = sessionId } } };
            if (await session.ExecuteScalarAsync() is null)
            {
                return (GoTrueErrors.Error(context, 403, "session_not_found", "Session from session_id claim in JWT does not exist"), null, null);
            }
        }
        if (user["banned_until"] is not null)
        {
            return (GoTrueErrors.Error(context, 403, "user_banned", "User is banned"), null, null);
        }
        return (null, claims, user);
    }

    private static async Task<JsonObject> IssueSessionAsync(NpgsqlConnection connection, StandInJwt jwt, StandInOptions options, HttpContext context, JsonObject user, string method)
    {
        var amr = new JsonArray(new JsonObject { ["method"] = method, ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() });
        await using var create = new NpgsqlCommand("insert into auth.sessions (user_id, amr) values ($1, $2::jsonb) returning id", connection)
        {
            Parameters = { new() { Value = Guid.Parse(user["id"]!.GetValue<string>()) }, new() { Value = amr.ToJsonString() } },
        };
        var sessionId = (Guid)(await create.ExecuteScalarAsync())!;
        var refresh = await NewRefreshTokenAsync(connection, null, sessionId, null);
        return SessionBody(jwt, options, context, user, sessionId, amr, refresh);
    }

    private static JsonObject SessionBody(StandInJwt jwt, StandInOptions options, HttpContext context, JsonObject user, Guid sessionId, JsonNode amr, string refreshToken)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var exp = now + options.AccessTokenLifetimeSeconds;
        var claims = new JsonObject
        {
            ["iss"] = options.Issuer ?? $"{context.Request.Scheme}://{context.Request.Host}/auth/v1",
            ["sub"] = user["id"]!.DeepClone(),
            ["aud"] = user["aud"]!.DeepClone(),
            ["exp"] = exp,
            ["iat"] = now,
            ["email"] = user["email"]!.DeepClone(),
            ["phone"] = user["phone"]!.DeepClone(),
            ["app_metadata"] = user["app_metadata"]!.DeepClone(),
            ["user_metadata"] = user["user_metadata"]!.DeepClone(),
            ["role"] = user["role"]!.DeepClone(),
            ["aal"] = "aal1",
            ["amr"] = amr.DeepClone(),
            ["session_id"] = sessionId.ToString(),
            ["is_anonymous"] = user["is_anonymous"]!.DeepClone(),
        };
        return new JsonObject
        {
            ["access_token"] = jwt.Sign(claims),
            ["token_type"] = "bearer",
            ["expires_in"] = options.AccessTokenLifetimeSeconds,
            ["expires_at"] = exp,
            ["refresh_token"] = refreshToken,
            ["user"] = user.DeepClone(),
        };
    }

    private static async Task<string> NewRefreshTokenAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid sessionId, string? parent)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        var token = string.Create(12, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
            }
        });
        await using var insert = new NpgsqlCommand("insert into auth.refresh_tokens (token, session_id, parent) values ($1, $2, $3)", connection, transaction)
        {
            Parameters = { new() { Value = token }, new() { Value = sessionId }, new() { Value = (object?)parent ?? DBNull.Value } },
        };
        await insert.ExecuteNonQueryAsync();
        return token;
    }

    /// <summary>The user object of §1.3 from an auth.users row.</summary>
    private static async Task<JsonObject?> ReadUserAsync(NpgsqlCommand command)
    {
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return null;
        }
        string? Time(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i).ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ");
        var id = reader.GetGuid(0).ToString();
        var email = reader.IsDBNull(3) ? "" : reader.GetString(3);
        var user = new JsonObject
        {
            ["id"] = id,
            ["aud"] = reader.GetString(1),
            ["role"] = reader.GetString(2),
            ["email"] = email,
            ["phone"] = reader.IsDBNull(6) ? "" : reader.GetString(6),
            ["app_metadata"] = JsonNode.Parse(reader.GetString(7)),
            ["user_metadata"] = JsonNode.Parse(reader.GetString(8)),
            ["identities"] = new JsonArray(new JsonObject
            {
                ["identity_id"] = id, ["id"] = id, ["user_id"] = id, ["provider"] = "email",
                ["identity_data"] = new JsonObject { ["sub"] = id, ["email"] = email, ["email_verified"] = !reader.IsDBNull(4), ["phone_verified"] = false },
                ["created_at"] = Time(12), ["updated_at"] = Time(13), ["email"] = email,
            }),
            ["created_at"] = Time(12),
            ["updated_at"] = Time(13),
            ["is_anonymous"] = reader.GetBoolean(10),
        };
        void Optional(string name, int i)
        {
            if (Time(i) is { } value)
            {
                user[name] = value;
            }
        }
        Optional("email_confirmed_at", 4);
        Optional("confirmed_at", 4);
        Optional("confirmation_sent_at", 5);
        Optional("banned_until", 9);
        Optional("last_sign_in_at", 11);
        return user;
    }

    private static JsonObject FakeUser(string email)
    {
        var now = DateTimeOffset.UtcNow.ToString("O");
        return new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(), ["aud"] = "authenticated", ["role"] = "authenticated", ["email"] = email, ["phone"] = "",
            ["app_metadata"] = new JsonObject { ["provider"] = "email", ["providers"] = new JsonArray("email") },
            ["user_metadata"] = new JsonObject(), ["identities"] = new JsonArray(), ["created_at"] = now, ["updated_at"] = now, ["is_anonymous"] = false,
        };
    }

    private static async Task<JsonObject?> ReadBodyAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
