using Npgsql;
using SupabaseEmulator.Database;
using SupabaseEmulator.PostgRest;

namespace SupabaseEmulator.Storage;

/// <summary>
/// One transaction as the caller (the same GUCs PostgREST sets: role, request.jwt.claims, request.jwt.claim.sub),
/// so the project's RLS policies on storage.objects and storage.buckets decide; or, for a null identity, as the
/// database owner (storage-api's "superuser" lookups: bucket limits, public and signed downloads).
/// </summary>
public sealed class RlsScope : IAsyncDisposable
{
    private RlsScope(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        Connection = connection;
        Transaction = transaction;
    }

    public NpgsqlConnection Connection { get; }

    public NpgsqlTransaction Transaction { get; }

    public static async Task<RlsScope> BeginAsync(EmulatorDatabase database, RequestIdentity? identity, CancellationToken ct)
    {
        var connection = await (identity is null ? database.Admin : database.Authenticator).OpenConnectionAsync(ct);
        var transaction = await connection.BeginTransactionAsync(ct);
        if (identity is not null)
        {
            await using var setup = new NpgsqlCommand(
                "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claim.sub', $3, true), " +
                "set_config('request.jwt.claim.role', $1, true)", connection, transaction);
            setup.Parameters.Add(new() { Value = identity.Role });
            setup.Parameters.Add(new() { Value = identity.Claims.ToJsonString() });
            setup.Parameters.Add(new() { Value = identity.Claims["sub"]?.ToString() ?? "" });
            await setup.ExecuteNonQueryAsync(ct);
        }
        return new RlsScope(connection, transaction);
    }

    public NpgsqlCommand Command(string sql, params object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, Connection, Transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }
        return command;
    }

    public Task CommitAsync(CancellationToken ct) => Transaction.CommitAsync(ct);

    public Task RollbackAsync(CancellationToken ct) => Transaction.RollbackAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
