using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using SupabaseEmulator.Database;

namespace SupabaseEmulator.GoTrue;

/// <summary>A session row plus its active refresh token and the amr claim it carries.</summary>
public sealed record IssuedSession(Guid SessionId, Guid UserId, string RefreshToken, JsonArray Amr);

public enum RefreshProblem { None, NotFound, AlreadyUsed }

/// <summary>
/// auth.sessions / auth.refresh_tokens with GoTrue's legacy rotation (docs/supabase-contract.md §1.4): each refresh revokes the
/// token and issues a child; replaying the parent of the active token returns the active token; replaying an
/// older token is allowed within the reuse interval, after it the whole token family is revoked.
/// </summary>
public sealed class AuthSessions(EmulatorDatabase database, RefreshSpends spends, IOptions<EmulatorOptions> options)
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public async Task<IssuedSession> CreateAsync(Guid userId, string method, CancellationToken ct)
    {
        await using var connection = await database.Admin.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var session = new NpgsqlCommand("insert into auth.sessions (user_id) values ($1) returning id", connection, transaction);
        session.Parameters.Add(new() { Value = userId });
        var sessionId = (Guid)(await session.ExecuteScalarAsync(ct))!;
        await using var amr = new NpgsqlCommand("insert into auth.mfa_amr_claims (session_id, authentication_method) values ($1, $2)", connection, transaction);
        amr.Parameters.Add(new() { Value = sessionId });
        amr.Parameters.Add(new() { Value = method });
        await amr.ExecuteNonQueryAsync(ct);
        var token = await InsertTokenAsync(connection, transaction, sessionId, userId, null, ct);
        var claims = await AmrAsync(connection, transaction, sessionId, ct);
        await transaction.CommitAsync(ct);
        return new IssuedSession(sessionId, userId, token, claims);
    }

    public async Task<(IssuedSession? Session, RefreshProblem Problem)> RefreshAsync(string token, CancellationToken ct)
    {
        await using var connection = await database.Admin.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // Serialise refreshes of one session (GoTrue locks too), then read the token under the lock.
        await using var lookup = new NpgsqlCommand(
            "select s.id, s.user_id from auth.refresh_tokens rt join auth.sessions s on s.id = rt.session_id where rt.token = $1 for update of s",
            connection, transaction);
        lookup.Parameters.Add(new() { Value = token });
        Guid sessionId, userId;
        await using (var reader = await lookup.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct))
            {
                return (null, RefreshProblem.NotFound);
            }
            (sessionId, userId) = (reader.GetGuid(0), reader.GetGuid(1));
        }
        await using var state = new NpgsqlCommand(
            "select rt.revoked, now() > rt.updated_at + make_interval(secs => $2), " +
            "(select a.token from auth.refresh_tokens a where a.session_id = rt.session_id and not a.revoked and a.parent = rt.token order by a.id desc limit 1) " +
            "from auth.refresh_tokens rt where rt.token = $1", connection, transaction);
        state.Parameters.Add(new() { Value = token });
        state.Parameters.Add(new() { Value = (double)options.Value.RefreshReuseIntervalSeconds });
        bool revoked, reuseExpired;
        string? activeChild;
        await using (var reader = await state.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (revoked, reuseExpired, activeChild) = (reader.GetBoolean(0), reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }

        string issued;
        var rotated = false;
        if (revoked && activeChild is not null)
        {
            issued = activeChild; // the client lost the response of its last refresh: hand back the active token
        }
        else if (revoked && reuseExpired)
        {
            await using var family = new NpgsqlCommand("update auth.refresh_tokens set revoked = true where session_id = $1 and not revoked", connection, transaction);
            family.Parameters.Add(new() { Value = sessionId });
            await family.ExecuteNonQueryAsync(ct);
            await transaction.CommitAsync(ct);
            spends.Record(sessionId, success: false, rotated: false);
            return (null, RefreshProblem.AlreadyUsed);
        }
        else
        {
            if (!revoked)
            {
                await using var revoke = new NpgsqlCommand("update auth.refresh_tokens set revoked = true, updated_at = now() where token = $1", connection, transaction);
                revoke.Parameters.Add(new() { Value = token });
                await revoke.ExecuteNonQueryAsync(ct);
            }
            issued = await InsertTokenAsync(connection, transaction, sessionId, userId, token, ct);
            rotated = true;
        }
        await using (var touch = new NpgsqlCommand("update auth.sessions set refreshed_at = now() at time zone 'utc', updated_at = now() where id = $1", connection, transaction))
        {
            touch.Parameters.Add(new() { Value = sessionId });
            await touch.ExecuteNonQueryAsync(ct);
        }
        var amr = await AmrAsync(connection, transaction, sessionId, ct);
        await transaction.CommitAsync(ct);
        spends.Record(sessionId, success: true, rotated);
        return (new IssuedSession(sessionId, userId, issued, amr), RefreshProblem.None);
    }

    public async Task<bool> ExistsAsync(Guid sessionId, CancellationToken ct)
    {
        await using var command = database.Admin.CreateCommand("select 1 from auth.sessions where id = $1");
        command.Parameters.Add(new() { Value = sessionId });
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>POST /logout: global (or no session id) = all of the user's sessions; local = this one; others = all but this one.</summary>
    public async Task<int> LogoutAsync(Guid userId, Guid? sessionId, string scope, CancellationToken ct)
    {
        var sql = sessionId is null || scope is "" or "global"
            ? "delete from auth.sessions where user_id = $1"
            : scope == "local"
                ? "delete from auth.sessions where user_id = $1 and id = $2"
                : "delete from auth.sessions where user_id = $1 and id <> $2";
        await using var command = database.Admin.CreateCommand(sql);
        command.Parameters.Add(new() { Value = userId });
        command.Parameters.Add(new() { Value = sessionId ?? Guid.Empty });
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<string> InsertTokenAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid sessionId, Guid userId, string? parent, CancellationToken ct)
    {
        // Legacy format: 12 characters of [a-z0-9] (docs/supabase-contract.md §1.2).
        var token = string.Create(12, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
        });
        await using var insert = new NpgsqlCommand("insert into auth.refresh_tokens (token, session_id, user_id, parent) values ($1, $2, $3, $4)", connection, transaction);
        insert.Parameters.Add(new() { Value = token });
        insert.Parameters.Add(new() { Value = sessionId });
        insert.Parameters.Add(new() { Value = userId.ToString() });
        insert.Parameters.Add(new() { Value = (object?)parent ?? DBNull.Value, DataTypeName = "varchar" });
        await insert.ExecuteNonQueryAsync(ct);
        return token;
    }

    private static async Task<JsonArray> AmrAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid sessionId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "select authentication_method, extract(epoch from created_at)::bigint from auth.mfa_amr_claims where session_id = $1 order by created_at",
            connection, transaction);
        command.Parameters.Add(new() { Value = sessionId });
        var amr = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            amr.Add(new JsonObject { ["method"] = reader.GetString(0), ["timestamp"] = reader.GetInt64(1) });
        }
        return amr;
    }
}
