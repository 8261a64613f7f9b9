using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;
using SupabaseEmulator.Database;

namespace SupabaseEmulator.GoTrue;

/// <summary>A PKCE challenge as a client sent it (method normalised to lowercase).</summary>
public sealed partial record PkceChallenge(string Challenge, string Method)
{
    /// <summary>Both or neither of code_challenge / code_challenge_method (docs/supabase-contract.md §1.9); error text when invalid.</summary>
    public static (PkceChallenge? Challenge, string? Error) Parse(string? challenge, string? method)
    {
        if (string.IsNullOrEmpty(challenge) && string.IsNullOrEmpty(method))
        {
            return (null, null);
        }
        if (string.IsNullOrEmpty(challenge) || string.IsNullOrEmpty(method))
        {
            return (null, "PKCE flow requires code_challenge_method and code_challenge");
        }
        var normalised = method.ToLowerInvariant();
        if (normalised is not ("s256" or "plain"))
        {
            return (null, $"code challenge method not supported: {method}");
        }
        return ChallengeFormat().IsMatch(challenge) ? (new PkceChallenge(challenge, normalised), null) : (null, "invalid code_challenge format");
    }

    public bool Matches(string verifier) => Method == "plain"
        ? CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(verifier), Encoding.ASCII.GetBytes(Challenge))
        : System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) == Challenge;

    [GeneratedRegex("^[A-Za-z0-9._~-]{43,128}$")]
    private static partial Regex ChallengeFormat();
}

/// <summary>A row of auth.flow_state.</summary>
public sealed record FlowState(Guid Id, Guid? UserId, string? AuthCode, PkceChallenge? Pkce, string Provider,
    string? ProviderAccessToken, string AuthenticationMethod, string? RedirectTo, bool Expired);

public enum ExchangeProblem { None, NotFound, Expired, BadVerifier }

/// <summary>auth.flow_state: OAuth and email-link flows until their auth code is exchanged (grant_type=pkce).</summary>
public sealed class FlowStates(EmulatorDatabase database, IOptions<EmulatorOptions> options)
{
    private const string Columns =
        "id, user_id, auth_code, code_challenge, code_challenge_method, provider_type, provider_access_token, authentication_method, redirect_to, " +
        "now() > coalesce(auth_code_issued_at, created_at) + make_interval(secs => $2)";

    public async Task<Guid> CreateAsync(Guid? userId, string provider, string authenticationMethod, PkceChallenge? pkce, string redirectTo, CancellationToken ct)
    {
        await using var command = database.Admin.CreateCommand(
            "insert into auth.flow_state (user_id, provider_type, authentication_method, code_challenge, code_challenge_method, redirect_to) values ($1, $2, $3, $4, $5, $6) returning id");
        command.Parameters.Add(new() { Value = (object?)userId ?? DBNull.Value, DataTypeName = "uuid" });
        command.Parameters.Add(new() { Value = provider });
        command.Parameters.Add(new() { Value = authenticationMethod });
        command.Parameters.Add(new() { Value = (object?)pkce?.Challenge ?? DBNull.Value, DataTypeName = "text" });
        command.Parameters.Add(new() { Value = (object?)pkce?.Method ?? DBNull.Value, DataTypeName = "text" });
        command.Parameters.Add(new() { Value = redirectTo });
        return (Guid)(await command.ExecuteScalarAsync(ct))!;
    }

    public Task<FlowState?> FindAsync(Guid id, CancellationToken ct) => FindAsync("id = $1", id, ct);

    /// <summary>The newest unexchanged email-link flow of a user (a pkce_ link names the user, not the flow).</summary>
    public async Task<FlowState?> FindLatestForUserAsync(Guid userId, string authenticationMethod, CancellationToken ct)
    {
        await using var command = database.Admin.CreateCommand(
            $"select {Columns} from auth.flow_state where user_id = $1 and authentication_method = $3 and auth_code is null order by created_at desc limit 1");
        command.Parameters.Add(new() { Value = userId });
        command.Parameters.Add(new() { Value = (double)options.Value.FlowStateLifetimeSeconds });
        command.Parameters.Add(new() { Value = authenticationMethod });
        return await ReadAsync(command, ct);
    }

    /// <summary>The flow's user signed in: hand out an auth code for the client to exchange.</summary>
    public async Task<string> IssueAuthCodeAsync(Guid flowId, Guid userId, string? providerAccessToken, CancellationToken ct)
    {
        var code = Guid.NewGuid().ToString();
        await using var command = database.Admin.CreateCommand(
            "update auth.flow_state set user_id = $2, auth_code = $3, provider_access_token = $4, auth_code_issued_at = now(), updated_at = now() where id = $1");
        command.Parameters.Add(new() { Value = flowId });
        command.Parameters.Add(new() { Value = userId });
        command.Parameters.Add(new() { Value = code });
        command.Parameters.Add(new() { Value = (object?)providerAccessToken ?? DBNull.Value, DataTypeName = "text" });
        await command.ExecuteNonQueryAsync(ct);
        return code;
    }

    /// <summary>grant_type=pkce: the flow for the auth code when the verifier matches; the flow is spent either way except when not found.</summary>
    public async Task<(FlowState? Flow, ExchangeProblem Problem)> ExchangeAsync(string authCode, string verifier, CancellationToken ct)
    {
        if (await FindAsync("auth_code = $1", authCode, ct) is not { } flow)
        {
            return (null, ExchangeProblem.NotFound);
        }
        if (flow.Expired)
        {
            return (null, ExchangeProblem.Expired);
        }
        if (flow.Pkce is null || !flow.Pkce.Matches(verifier))
        {
            return (null, ExchangeProblem.BadVerifier);
        }
        await DeleteAsync(flow.Id, ct);
        return (flow, ExchangeProblem.None);
    }

    public async Task DeleteAsync(Guid id, CancellationToken ct)
    {
        await using var command = database.Admin.CreateCommand("delete from auth.flow_state where id = $1");
        command.Parameters.Add(new() { Value = id });
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<FlowState?> FindAsync(string where, object key, CancellationToken ct)
    {
        await using var command = database.Admin.CreateCommand($"select {Columns} from auth.flow_state where {where}");
        command.Parameters.Add(new() { Value = key });
        command.Parameters.Add(new() { Value = (double)options.Value.FlowStateLifetimeSeconds });
        return await ReadAsync(command, ct);
    }

    private static async Task<FlowState?> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        var pkce = Text(3) is { } challenge && Text(4) is { } method ? new PkceChallenge(challenge, method) : null;
        return new FlowState(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), Text(2), pkce, reader.GetString(5), Text(6), reader.GetString(7), Text(8), reader.GetBoolean(9));
    }
}
