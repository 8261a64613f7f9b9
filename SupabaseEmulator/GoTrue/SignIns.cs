using System.Text.Json.Nodes;

namespace SupabaseEmulator.GoTrue;

/// <summary>What every successful sign-in does: a new session, last_sign_in_at, the session response of docs/supabase-contract.md §1.2.</summary>
public sealed class SignIns(AuthUsers users, AuthSessions sessions, AccessTokens tokens, EmulatorUrls urls)
{
    public async Task<JsonObject> StartSessionAsync(AuthUser user, string method, string? providerToken, CancellationToken ct)
    {
        await users.MarkSignedInAsync(user.Id, ct);
        var session = await sessions.CreateAsync(user.Id, method, ct);
        var fresh = await users.FindByIdAsync(user.Id, ct) ?? user;
        return tokens.SessionResponse(fresh, session, providerToken);
    }

    /// <summary>
    /// The user a provider vouched for: by provider identity, else by verified email (identity linked), else new
    /// (confirmed, identity data merged into user_metadata as GoTrue does).
    /// </summary>
    public async Task<AuthUser> ExternalUserAsync(ProviderUser provided, CancellationToken ct)
    {
        if (await users.FindByIdentityAsync(FakeOAuthProvider.Name, provided.Sub, ct) is { } known)
        {
            return known;
        }
        var identityData = provided.IdentityData(urls.OAuthProviderUrl);
        if (await users.FindByEmailAsync(provided.Email, ct) is { } byEmail)
        {
            await users.LinkIdentityAsync(byEmail.Id, FakeOAuthProvider.Name, provided.Sub, identityData, ct);
            await users.ConfirmEmailAsync(byEmail.Id, ct);
            return (await users.FindByIdAsync(byEmail.Id, ct))!;
        }
        return await users.CreateAsync(new NewUser(provided.Email, null, true, identityData.DeepClone().AsObject(), FakeOAuthProvider.Name, provided.Sub, identityData), ct)
            ?? (await users.FindByEmailAsync(provided.Email, ct))!; // lost a race with a twin request
    }
}
