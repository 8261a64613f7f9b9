using System.Text.Json.Nodes;

namespace SupabaseEmulator.GoTrue;

/// <summary>POST /auth/v1/token?grant_type=password|refresh_token|pkce|id_token (docs/supabase-contract.md §1.4).</summary>
public static class TokenEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext context, AuthUsers users, AuthSessions sessions, AccessTokens tokens,
        SignIns signIns, FlowStates flows, FakeOAuthProvider provider, TimeProvider time, CancellationToken ct)
    {
        if (await JsonBody.ReadAsync(context.Request, ct) is not { } body)
        {
            return JsonBody.BadJson(context);
        }
        var grant = context.Request.Query["grant_type"].ToString() is { Length: > 0 } fromQuery ? fromQuery : body.String("grant_type");
        return grant switch
        {
            "password" => await PasswordAsync(context, body, users, signIns, time, ct),
            "refresh_token" => await RefreshAsync(context, body, users, sessions, tokens, time, ct),
            "pkce" => await PkceAsync(context, body, users, signIns, flows, ct),
            "id_token" => await IdTokenAsync(context, body, signIns, provider, time, ct),
            _ => GoTrueErrors.Error(context, 400, "invalid_credentials", "unsupported_grant_type"),
        };
    }

    private static async Task<IResult> PasswordAsync(HttpContext context, JsonObject body, AuthUsers users, SignIns signIns, TimeProvider time, CancellationToken ct)
    {
        var email = body.String("email")?.Trim();
        var phone = body.String("phone")?.Trim();
        if (string.IsNullOrEmpty(email) == string.IsNullOrEmpty(phone))
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "Only an email address or phone number should be provided on login.");
        }
        if (!string.IsNullOrEmpty(phone))
        {
            return GoTrueErrors.Error(context, 422, "phone_provider_disabled", "Phone logins are disabled");
        }
        var password = body.String("password") ?? "";
        if (await users.FindByPasswordAsync(email!, password, ct) is not { } user)
        {
            return GoTrueErrors.Error(context, 400, "invalid_credentials", "Invalid login credentials");
        }
        if (user.IsBanned(time.GetUtcNow()))
        {
            return GoTrueErrors.Error(context, 400, "user_banned", "User is banned");
        }
        if (user.EmailConfirmedAt is null)
        {
            return GoTrueErrors.Error(context, 400, "email_not_confirmed", "Email not confirmed");
        }
        return Results.Json(await signIns.StartSessionAsync(user, "password", null, ct));
    }

    private static async Task<IResult> RefreshAsync(HttpContext context, JsonObject body, AuthUsers users, AuthSessions sessions, AccessTokens tokens, TimeProvider time, CancellationToken ct)
    {
        var token = body.String("refresh_token");
        if (string.IsNullOrEmpty(token))
        {
            return GoTrueErrors.OAuthError("invalid_request", "refresh_token required");
        }
        if (token.Length < 12 || token.Length > 255)
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "Refresh token is not valid");
        }
        var (session, problem) = await sessions.RefreshAsync(token, ct);
        switch (problem)
        {
            case RefreshProblem.NotFound:
                return GoTrueErrors.Error(context, 400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
            case RefreshProblem.AlreadyUsed:
                return GoTrueErrors.Error(context, 400, "refresh_token_already_used", "Invalid Refresh Token: Already Used");
        }
        if (await users.FindByIdAsync(session!.UserId, ct) is not { } user)
        {
            return GoTrueErrors.Error(context, 400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
        }
        if (user.IsBanned(time.GetUtcNow()))
        {
            return GoTrueErrors.Error(context, 400, "user_banned", "User is banned");
        }
        // The user object is re-read, so claims carry the latest email and metadata; amr keeps the sign-in method.
        return Results.Json(tokens.SessionResponse(user, session));
    }

    private static async Task<IResult> PkceAsync(HttpContext context, JsonObject body, AuthUsers users, SignIns signIns, FlowStates flows, CancellationToken ct)
    {
        var authCode = body.String("auth_code");
        var verifier = body.String("code_verifier");
        if (string.IsNullOrEmpty(authCode) || string.IsNullOrEmpty(verifier))
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "invalid request: both auth code and code verifier should be non-empty");
        }
        var (flow, problem) = await flows.ExchangeAsync(authCode, verifier, ct);
        switch (problem)
        {
            case ExchangeProblem.NotFound:
                return GoTrueErrors.Error(context, 404, "flow_state_not_found", "invalid flow state, no valid flow state found");
            case ExchangeProblem.Expired:
                return GoTrueErrors.Error(context, 422, "flow_state_expired", "invalid flow state, flow state has expired");
            case ExchangeProblem.BadVerifier:
                return GoTrueErrors.Error(context, 400, "bad_code_verifier", "code challenge does not match previously saved code verifier");
        }
        if (flow!.UserId is not { } userId || await users.FindByIdAsync(userId, ct) is not { } user)
        {
            return GoTrueErrors.Error(context, 404, "flow_state_not_found", "invalid flow state, no valid flow state found");
        }
        return Results.Json(await signIns.StartSessionAsync(user, flow.AuthenticationMethod, flow.ProviderAccessToken, ct));
    }

    private static async Task<IResult> IdTokenAsync(HttpContext context, JsonObject body, SignIns signIns, FakeOAuthProvider provider, TimeProvider time, CancellationToken ct)
    {
        var providerName = body.String("provider");
        var issuer = body.String("issuer");
        if (providerName != FakeOAuthProvider.Name && issuer != provider.Issuer)
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", $"Custom OIDC provider \"{providerName ?? issuer}\" not allowed");
        }
        if (body.String("id_token") is not { Length: > 0 } idToken)
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "id_token required");
        }
        var (provided, error) = provider.VerifyIdToken(idToken, body.String("nonce"));
        if (provided is null)
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", error!);
        }
        var user = await signIns.ExternalUserAsync(provided, ct);
        if (user.IsBanned(time.GetUtcNow()))
        {
            return GoTrueErrors.Error(context, 400, "user_banned", "User is banned");
        }
        return Results.Json(await signIns.StartSessionAsync(user, "oauth", body.String("access_token"), ct));
    }
}
