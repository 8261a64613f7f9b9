using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace SupabaseEmulator.GoTrue;

/// <summary>
/// GET /auth/v1/authorize and GET|POST /auth/v1/callback (docs/supabase-contract.md §1.9) with the fake provider "emulator",
/// whose consent endpoint is /__emulator/oauth/authorize.
/// </summary>
public static class OAuthEndpoints
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "provider", "scopes", "client_id", "redirect_uri", "response_type", "state", "code_challenge", "code_challenge_method", "code_verifier",
    };

    public static async Task<IResult> AuthorizeAsync(HttpContext context, FlowStates flows, RedirectUrls redirects, EmulatorUrls urls, CancellationToken ct)
    {
        var query = context.Request.Query;
        var provider = query["provider"].ToString();
        if (provider != FakeOAuthProvider.Name)
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", $"Unsupported provider: Provider {provider} could not be found");
        }
        var (pkce, pkceError) = PkceChallenge.Parse(query["code_challenge"].ToString(), query["code_challenge_method"].ToString());
        if (pkceError is not null)
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", pkceError);
        }
        var requested = query["redirect_to"].ToString();
        var redirectTo = redirects.IsAllowed(requested) ? requested : redirects.Resolve(context.Request.Headers.Referer.ToString());
        var flowId = await flows.CreateAsync(null, FakeOAuthProvider.Name, "oauth", pkce, redirectTo, ct);
        var parameters = new List<KeyValuePair<string, string>>
        {
            new("client_id", FakeOAuthProvider.ClientId),
            new("redirect_uri", urls.ExternalUrl + "/callback"),
            new("response_type", "code"),
            new("scope", query["scopes"].ToString() is { Length: > 0 } scopes ? scopes : "email"),
            new("state", flowId.ToString()),
        };
        parameters.AddRange(query.Where(p => !Reserved.Contains(p.Key)).Select(p => new KeyValuePair<string, string>(p.Key, p.Value.ToString())));
        return Results.Redirect(RedirectUrls.WithQuery(urls.OAuthProviderUrl + "/authorize", parameters));
    }

    public static async Task<IResult> CallbackAsync(HttpContext context, FlowStates flows, FakeOAuthProvider provider, SignIns signIns, TimeProvider time, CancellationToken ct)
    {
        var values = context.Request.HasFormContentType ? (await context.Request.ReadFormAsync(ct)).ToDictionary(f => f.Key, f => f.Value.ToString()) : [];
        string Value(string name) => values.TryGetValue(name, out var v) ? v : context.Request.Query[name].ToString();

        if (!Guid.TryParse(Value("state"), out var flowId) || await flows.FindAsync(flowId, ct) is not { } flow)
        {
            return GoTrueErrors.Error(context, 400, "bad_oauth_state", "OAuth state parameter is invalid or has expired");
        }
        var redirectTo = flow.RedirectTo!;
        if (flow.Expired)
        {
            await flows.DeleteAsync(flow.Id, ct);
            return ErrorRedirect(redirectTo, "invalid_request", "flow_state_expired", "OAuth flow has expired");
        }
        if (Value("error") is { Length: > 0 } error)
        {
            await flows.DeleteAsync(flow.Id, ct);
            return ErrorRedirect(redirectTo, error, "provider_error", Value("error_description") is { Length: > 0 } d ? d : "The provider returned an error");
        }
        if (provider.RedeemCode(Value("code")) is not { } provided)
        {
            await flows.DeleteAsync(flow.Id, ct);
            return ErrorRedirect(redirectTo, "server_error", "bad_oauth_callback", "OAuth callback with invalid code");
        }
        var user = await signIns.ExternalUserAsync(provided, ct);
        if (user.IsBanned(time.GetUtcNow()))
        {
            await flows.DeleteAsync(flow.Id, ct);
            return ErrorRedirect(redirectTo, "access_denied", "user_banned", "User is banned");
        }
        var providerToken = "emulator_provider_token_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        if (flow.Pkce is not null)
        {
            var code = await flows.IssueAuthCodeAsync(flow.Id, user.Id, providerToken, ct);
            return Results.Redirect(RedirectUrls.WithQuery(redirectTo, [new("code", code)]));
        }
        await flows.DeleteAsync(flow.Id, ct);
        var session = await signIns.StartSessionAsync(user, "oauth", providerToken, ct);
        return Results.Redirect(redirectTo.Split('#')[0] + "#" + AccessTokens.Fragment(session));
    }

    /// <summary>The fake provider's consent page: approves at once for <c>login_hint</c> (or a default user); <c>deny=1</c> refuses.</summary>
    public static IResult ProviderAuthorize(HttpContext context, FakeOAuthProvider provider)
    {
        var query = context.Request.Query;
        var redirectUri = query["redirect_uri"].ToString();
        if (!Uri.TryCreate(redirectUri, UriKind.Absolute, out _) || query["client_id"].ToString() != FakeOAuthProvider.ClientId)
        {
            return Results.Json(new JsonObject { ["error"] = "invalid_request", ["error_description"] = "unknown client_id or missing redirect_uri" }, statusCode: 400);
        }
        var state = query["state"].ToString();
        if (query["deny"].ToString() is "1" or "true")
        {
            return Results.Redirect(RedirectUrls.WithQuery(redirectUri, [new("error", "access_denied"), new("error_description", "The user denied access"), new("state", state)]));
        }
        var email = query["login_hint"].ToString() is { Length: > 0 } hint ? hint : FakeOAuthProvider.DefaultEmail;
        var code = provider.IssueCode(ProviderUser.ForEmail(email));
        return Results.Redirect(RedirectUrls.WithQuery(redirectUri, [new("code", code), new("state", state)]));
    }

    /// <summary>Test helper: an id token from the fake provider for signInWithIdToken({provider: "emulator", token}).</summary>
    public static async Task<IResult> ProviderIdTokenAsync(HttpContext context, FakeOAuthProvider provider, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync(context.Request, ct);
        if (body?.String("email") is not { Length: > 0 } email)
        {
            return Results.Json(new JsonObject { ["error"] = "email required" }, statusCode: 400);
        }
        return Results.Json(new JsonObject { ["id_token"] = provider.IdToken(ProviderUser.ForEmail(email), body.String("nonce")) });
    }

    private static IResult ErrorRedirect(string redirectTo, string error, string code, string description)
    {
        var parameters = new List<KeyValuePair<string, string>> { new("error", error), new("error_code", code), new("error_description", description) };
        var fragment = string.Join('&', parameters.Append(new("sb", "")).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        return Results.Redirect(RedirectUrls.WithQuery(redirectTo, parameters) + "#" + fragment);
    }
}
