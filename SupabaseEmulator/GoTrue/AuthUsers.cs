using System.Text.Json.Nodes;
using Npgsql;
using SupabaseEmulator.Database;

namespace SupabaseEmulator.GoTrue;

/// <summary>What a new auth.users row starts with.</summary>
public sealed record NewUser(
    string? Email,
    string? Password,
    bool EmailConfirmed,
    JsonObject UserMetadata,
    string Provider,
    string? ProviderId = null,
    JsonObject? IdentityData = null,
    bool IsAnonymous = false,
    Guid? Id = null);

/// <summary>auth.users and auth.identities, as GoTrue keeps them (passwords hashed with bcrypt through pgcrypto).</summary>
public sealed class AuthUsers(EmulatorDatabase database)
{
    private const string Columns =
        "id, aud, role, email, email_confirmed_at, confirmation_sent_at, recovery_sent_at, phone, phone_confirmed_at, last_sign_in_at, " +
        "raw_app_meta_data::text, raw_user_meta_data::text, banned_until, deleted_at, is_anonymous, created_at, updated_at";

    public Task<AuthUser?> FindByIdAsync(Guid id, CancellationToken ct) =>
        FindAsync("id = $1 and deleted_at is null", [id], ct);

    public Task<AuthUser?> FindByEmailAsync(string email, CancellationToken ct) =>
        FindAsync("lower(email) = lower($1) and deleted_at is null and is_sso_user = false", [email], ct);

    /// <summary>The user when the email/password pair matches (bcrypt compare in the database).</summary>
    public Task<AuthUser?> FindByPasswordAsync(string email, string password, CancellationToken ct) =>
        FindAsync("lower(email) = lower($1) and deleted_at is null and encrypted_password is not null and encrypted_password = crypt($2, encrypted_password)", [email, password], ct);

    public async Task<AuthUser?> FindByIdentityAsync(string provider, string providerId, CancellationToken ct)
    {
        await using var command = database.Admin.CreateCommand("select user_id from auth.identities where provider = $1 and provider_id = $2");
        command.Parameters.Add(new() { Value = provider });
        command.Parameters.Add(new() { Value = providerId });
        return await command.ExecuteScalarAsync(ct) is Guid userId ? await FindByIdAsync(userId, ct) : null;
    }

    /// <summary>Creates the user and its identity; null when the email is already registered.</summary>
    public async Task<AuthUser?> CreateAsync(NewUser user, CancellationToken ct)
    {
        var appMetadata = user.IsAnonymous
            ? new JsonObject()
            : new JsonObject { ["provider"] = user.Provider, ["providers"] = new JsonArray(user.Provider) };
        await using var connection = await database.Admin.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var insert = new NpgsqlCommand(
            "insert into auth.users (id, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, is_anonymous) " +
            "values (coalesce($1, gen_random_uuid()), $2, case when $3::text is null then null else crypt($3, gen_salt('bf', 4)) end, " +
            "case when $4 then now() end, $5::jsonb, $6::jsonb, $7) on conflict do nothing returning id", connection, transaction);
        insert.Parameters.Add(new() { Value = (object?)user.Id ?? DBNull.Value, DataTypeName = "uuid" });
        insert.Parameters.Add(new() { Value = (object?)user.Email ?? DBNull.Value, DataTypeName = "text" });
        insert.Parameters.Add(new() { Value = (object?)user.Password ?? DBNull.Value, DataTypeName = "text" });
        insert.Parameters.Add(new() { Value = user.EmailConfirmed });
        insert.Parameters.Add(new() { Value = appMetadata.ToJsonString() });
        insert.Parameters.Add(new() { Value = user.UserMetadata.ToJsonString() });
        insert.Parameters.Add(new() { Value = user.IsAnonymous });
        if (await insert.ExecuteScalarAsync(ct) is not Guid id)
        {
            return null;
        }
        if (!user.IsAnonymous)
        {
            var identityData = user.IdentityData?.DeepClone().AsObject() ?? new JsonObject
            {
                ["sub"] = id.ToString(),
                ["email"] = user.Email,
                ["email_verified"] = user.EmailConfirmed,
                ["phone_verified"] = false,
            };
            await InsertIdentityAsync(connection, transaction, id, user.Provider, user.ProviderId ?? id.ToString(), identityData, ct);
        }
        await transaction.CommitAsync(ct);
        return await FindByIdAsync(id, ct);
    }

    /// <summary>Links another provider's identity to an existing user (OAuth sign-in with a known email).</summary>
    public async Task LinkIdentityAsync(Guid userId, string provider, string providerId, JsonObject identityData, CancellationToken ct)
    {
        await using var connection = await database.Admin.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await InsertIdentityAsync(connection, transaction, userId, provider, providerId, identityData, ct);
        await using var providers = new NpgsqlCommand(
            "update auth.users set raw_app_meta_data = jsonb_set(raw_app_meta_data, '{providers}', " +
            "(select coalesce(jsonb_agg(distinct p), '[]') from jsonb_array_elements_text(coalesce(raw_app_meta_data -> 'providers', '[]') || to_jsonb($2::text)) p)), " +
            "updated_at = now() where id = $1", connection, transaction);
        providers.Parameters.Add(new() { Value = userId });
        providers.Parameters.Add(new() { Value = provider });
        await providers.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
    }

    public async Task MarkSignedInAsync(Guid id, CancellationToken ct)
    {
        await ExecuteAsync("update auth.users set last_sign_in_at = now() where id = $1", [id], ct);
        await ExecuteAsync("update auth.identities set last_sign_in_at = now() where user_id = $1", [id], ct);
    }

    public Task ConfirmEmailAsync(Guid id, CancellationToken ct) =>
        ExecuteAsync("update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now() where id = $1", [id], ct);

    public Task MarkMailSentAsync(Guid id, bool recovery, CancellationToken ct) =>
        ExecuteAsync(recovery
            ? "update auth.users set recovery_sent_at = now() where id = $1"
            : "update auth.users set confirmation_sent_at = now() where id = $1", [id], ct);

    /// <summary>PUT /user: metadata merge, new password, new email (applied directly: the emulator has no mail change flow).</summary>
    public async Task<AuthUser?> UpdateAsync(Guid id, string? email, string? password, JsonObject? data, CancellationToken ct)
    {
        await ExecuteAsync(
            "update auth.users set raw_user_meta_data = raw_user_meta_data || coalesce($2::jsonb, '{}'), " +
            "encrypted_password = case when $3::text is null then encrypted_password else crypt($3, gen_salt('bf', 4)) end, " +
            "email = coalesce($4, email), updated_at = now() where id = $1",
            [id, (object?)data?.ToJsonString() ?? DBNull.Value, (object?)password ?? DBNull.Value, (object?)email ?? DBNull.Value], ct);
        return await FindByIdAsync(id, ct);
    }

    public async Task<bool> EmailTakenAsync(string email, Guid except, CancellationToken ct)
    {
        await using var command = database.Admin.CreateCommand("select 1 from auth.users where lower(email) = lower($1) and id <> $2");
        command.Parameters.Add(new() { Value = email });
        command.Parameters.Add(new() { Value = except });
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>Creates the demo users unless they exist.</summary>
    public async Task SeedAsync(IEnumerable<SeedUser> users, CancellationToken ct)
    {
        foreach (var seed in users)
        {
            if (await FindByIdAsync(seed.Id, ct) is null)
            {
                await CreateAsync(new NewUser(seed.Email, seed.Password, true, new JsonObject { ["name"] = seed.Name }, "email", Id: seed.Id), ct);
            }
        }
    }

    private static async Task InsertIdentityAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId, string provider, string providerId, JsonObject data, CancellationToken ct)
    {
        await using var identity = new NpgsqlCommand(
            "insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at) values ($1, $2, $3::jsonb, $4, now()) on conflict (provider_id, provider) do nothing",
            connection, transaction);
        identity.Parameters.Add(new() { Value = providerId });
        identity.Parameters.Add(new() { Value = userId });
        identity.Parameters.Add(new() { Value = data.ToJsonString() });
        identity.Parameters.Add(new() { Value = provider });
        await identity.ExecuteNonQueryAsync(ct);
    }

    private async Task ExecuteAsync(string sql, object[] parameters, CancellationToken ct)
    {
        await using var command = database.Admin.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new() { Value = parameter });
        }
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<AuthUser?> FindAsync(string where, object[] parameters, CancellationToken ct)
    {
        await using var connection = await database.Admin.OpenConnectionAsync(ct);
        AuthUser? user;
        await using (var command = new NpgsqlCommand($"select {Columns} from auth.users where {where}", connection))
        {
            foreach (var parameter in parameters)
            {
                command.Parameters.Add(new() { Value = parameter });
            }
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }
            DateTimeOffset? Time(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);
            user = new AuthUser(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                Time(4), Time(5), Time(6), reader.IsDBNull(7) ? null : reader.GetString(7), Time(8), Time(9),
                JsonNode.Parse(reader.GetString(10)) as JsonObject ?? [], JsonNode.Parse(reader.GetString(11)) as JsonObject ?? [],
                Time(12), Time(13), reader.GetBoolean(14), reader.GetFieldValue<DateTimeOffset>(15), reader.GetFieldValue<DateTimeOffset>(16), []);
        }
        await using var identities = new NpgsqlCommand(
            "select id, provider_id, user_id, identity_data::text, provider, last_sign_in_at, created_at, updated_at, email from auth.identities where user_id = $1 order by created_at",
            connection);
        identities.Parameters.Add(new() { Value = user.Id });
        var list = new List<AuthIdentity>();
        await using (var reader = await identities.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                list.Add(new AuthIdentity(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), JsonNode.Parse(reader.GetString(3)) as JsonObject ?? [],
                    reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6),
                    reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetString(8)));
            }
        }
        return user with { Identities = list };
    }
}
