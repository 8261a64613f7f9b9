using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SupabaseEmulator.GoTrue;

/// <summary>GoTrue behind the API gateway: its routes under /auth/v1 (docs/supabase-contract.md §1; the prefix is the API gateway's, §0).</summary>
public static class GoTrueEndpoints
{
    public static IServiceCollection AddGoTrueEmulator(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EmulatorUrls>();
        services.TryAddSingleton<EmulatorJwt>();
        services.TryAddSingleton<AuthUsers>();
        services.TryAddSingleton<AuthSessions>();
        services.TryAddSingleton<AccessTokens>();
        services.TryAddSingleton<SignIns>();
        services.TryAddSingleton<FlowStates>();
        services.TryAddSingleton<EmailLinks>();
        services.TryAddSingleton<RedirectUrls>();
        services.TryAddSingleton<FakeOAuthProvider>();
        services.TryAddSingleton<Outbox>();
        services.TryAddSingleton<RefreshSpends>();
        return services;
    }

    public static IEndpointRouteBuilder MapGoTrue(this IEndpointRouteBuilder endpoints)
    {
        var auth = endpoints.MapGroup("/auth/v1");
        auth.MapGet("/health", () => Results.Json(new { version = "v2.189.0-emulator", name = "GoTrue", description = "GoTrue emulator for tests (not Supabase)" }));
        auth.MapGet("/settings", Settings);
        auth.MapGet("/.well-known/jwks.json", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "public, max-age=600";
            return Results.Json(new { keys = Array.Empty<object>() }); // HS256 keys are never published
        });
        auth.MapPost("/token", TokenEndpoint.HandleAsync);
        auth.MapPost("/signup", SignUpEndpoint.HandleAsync);
        auth.MapGet("/user", UserEndpoints.GetAsync);
        auth.MapPut("/user", UserEndpoints.UpdateAsync);
        auth.MapPost("/logout", UserEndpoints.LogoutAsync);
        auth.MapPost("/otp", EmailEndpoints.OtpAsync);
        auth.MapPost("/magiclink", EmailEndpoints.OtpAsync);
        auth.MapPost("/recover", EmailEndpoints.RecoverAsync);
        auth.MapPost("/verify", EmailEndpoints.VerifyPostAsync);
        auth.MapGet("/verify", EmailEndpoints.VerifyGetAsync);
        auth.MapGet("/authorize", OAuthEndpoints.AuthorizeAsync);
        auth.MapMethods("/callback", ["GET", "POST"], OAuthEndpoints.CallbackAsync);
        auth.MapPut("/admin/users/{id}", AdminUserEndpoints.UpdateAsync);
        auth.MapDelete("/admin/users/{id}", AdminUserEndpoints.DeleteAsync);
        auth.MapFallback((HttpContext context) => GoTrueErrors.Error(context, 404, "not_found", "Not found (this route is not part of the GoTrue emulator)"));

        var provider = endpoints.MapGroup("/__emulator/oauth");
        provider.MapGet("/authorize", OAuthEndpoints.ProviderAuthorize);
        provider.MapPost("/id-token", OAuthEndpoints.ProviderIdTokenAsync);
        return endpoints;
    }

    private static IResult Settings(IOptions<EmulatorOptions> options)
    {
        var o = options.Value;
        var external = new JsonObject { ["anonymous_users"] = o.EnableAnonymousSignIns };
        foreach (var name in new[] { "apple", "azure", "bitbucket", "discord", "facebook", "snapchat", "figma", "fly", "github", "gitlab", "google", "keycloak",
                     "kakao", "linkedin", "linkedin_oidc", "notion", "spotify", "slack", "slack_oidc", "workos", "twitch", "twitter", "zoom" })
        {
            external[name] = false;
        }
        external["email"] = true;
        external["phone"] = false;
        return Results.Json(new JsonObject
        {
            ["external"] = external,
            ["disable_signup"] = !o.EnableSignup,
            ["mailer_autoconfirm"] = o.Autoconfirm,
            ["phone_autoconfirm"] = false,
            ["sms_provider"] = "",
            ["saml_enabled"] = false,
            ["saml_private_key_next_configured"] = false,
            ["passkeys_enabled"] = false,
        });
    }
}
