using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using SupabaseEmulator.Database;

namespace SupabaseEmulator.GoTrue;

/// <summary>A verified one-time token: whose, and which kind.</summary>
public sealed record ConsumedToken(Guid UserId, string TokenType);

/// <summary>
/// Email OTPs and links (docs/supabase-contract.md §1.10): a 6-digit OTP and its token hash (SHA-224 of email + OTP, as GoTrue)
/// in auth.one_time_tokens, the "mail" in the <see cref="Outbox"/>. With PKCE the link token is "pkce_" + hash and
/// a flow_state row waits for the GET /verify that turns it into an auth code.
/// </summary>
public sealed class EmailLinks(EmulatorDatabase database, FlowStates flows, AuthUsers users, Outbox outbox, EmulatorUrls urls,
    IOptions<EmulatorOptions> options, TimeProvider time)
{
    /// <summary>GoTrue's amr method for each verification type.</summary>
    public static string AmrMethod(string type) => type switch
    {
        "signup" => "email/signup",
        "invite" => "invite",
        "recovery" => "recovery",
        "magiclink" => "magiclink",
        "email_change" => "email_change",
        _ => "otp",
    };

    /// <summary>Token types a verification type accepts ("email" takes any email OTP).</summary>
    public static string[] TokenTypes(string type) => type switch
    {
        "signup" or "invite" => ["confirmation_token"],
        "magiclink" or "recovery" => ["recovery_token"],
        "email" => ["confirmation_token", "recovery_token"],
        _ => [],
    };

    public async Task<OutboxMessage> SendAsync(AuthUser user, string type, string redirectTo, PkceChallenge? pkce, CancellationToken ct)
    {
        var email = user.Email ?? throw new InvalidOperationException("Email links need an email address.");
        var otp = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        var tokenHash = await TokenHashAsync(email, otp, ct);
        if (pkce is not null)
        {
            await flows.CreateAsync(user.Id, "email", AmrMethod(type), pkce, redirectTo, ct);
            tokenHash = "pkce_" + tokenHash;
        }
        var tokenType = type is "signup" or "invite" ? "confirmation_token" : "recovery_token";
        await using (var replace = database.Admin.CreateCommand("delete from auth.one_time_tokens where user_id = $1 and token_type = $2"))
        {
            replace.Parameters.Add(new() { Value = user.Id });
            replace.Parameters.Add(new() { Value = tokenType });
            await replace.ExecuteNonQueryAsync(ct);
        }
        await using (var insert = database.Admin.CreateCommand("insert into auth.one_time_tokens (user_id, token_type, token_hash, relates_to) values ($1, $2, $3, $4)"))
        {
            insert.Parameters.Add(new() { Value = user.Id });
            insert.Parameters.Add(new() { Value = tokenType });
            insert.Parameters.Add(new() { Value = tokenHash });
            insert.Parameters.Add(new() { Value = email.ToLowerInvariant() });
            await insert.ExecuteNonQueryAsync(ct);
        }
        await users.MarkMailSentAsync(user.Id, recovery: tokenType == "recovery_token", ct);
        var link = $"{urls.ExternalUrl}/verify?token={Uri.EscapeDataString(tokenHash)}&type={type}&redirect_to={Uri.EscapeDataString(redirectTo)}";
        return outbox.Add(time.GetUtcNow(), type, email, otp, tokenHash, link, redirectTo);
    }

    /// <summary>Spends a token named by its hash (links, verifyOtp({token_hash})); the pkce_ prefix is optional.</summary>
    public Task<ConsumedToken?> ConsumeHashAsync(string tokenHash, string type, CancellationToken ct)
    {
        var bare = tokenHash.StartsWith("pkce_", StringComparison.Ordinal) ? tokenHash[5..] : tokenHash;
        return ConsumeAsync("token_hash in ($1, 'pkce_' || $1)", [bare], type, ct);
    }

    /// <summary>Spends a token named by email + OTP (verifyOtp({email, token})).</summary>
    public async Task<ConsumedToken?> ConsumeOtpAsync(string email, string otp, string type, CancellationToken ct)
    {
        var hash = await TokenHashAsync(email, otp, ct);
        return await ConsumeAsync("relates_to = lower($2) and token_hash in ($1, 'pkce_' || $1)", [hash, email], type, ct);
    }

    /// <summary>SHA-224 hex of email + OTP (.NET has no SHA-224; pgcrypto does).</summary>
    private async Task<string> TokenHashAsync(string email, string otp, CancellationToken ct)
    {
        await using var command = database.Admin.CreateCommand("select encode(digest($1, 'sha224'), 'hex')");
        command.Parameters.Add(new() { Value = email.ToLowerInvariant() + otp });
        return (string)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<ConsumedToken?> ConsumeAsync(string where, object[] parameters, string type, CancellationToken ct)
    {
        var tokenTypes = TokenTypes(type);
        await using var command = database.Admin.CreateCommand(
            $"delete from auth.one_time_tokens where {where} and token_type = any(${parameters.Length + 1}) " +
            $"returning user_id, token_type, now() <= created_at + make_interval(secs => ${parameters.Length + 2})");
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new() { Value = parameter });
        }
        command.Parameters.Add(new() { Value = tokenTypes });
        command.Parameters.Add(new() { Value = (double)options.Value.OtpLifetimeSeconds });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) && reader.GetBoolean(2) ? new ConsumedToken(reader.GetGuid(0), reader.GetString(1)) : null;
    }
}
