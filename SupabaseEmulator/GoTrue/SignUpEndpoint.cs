using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace SupabaseEmulator.GoTrue;

/// <summary>POST /auth/v1/signup (docs/supabase-contract.md §1.5): a session with autoconfirm, else the bare user and a confirmation mail.</summary>
public static class SignUpEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext context, AuthUsers users, SignIns signIns, EmailLinks links, RedirectUrls redirects,
        IOptions<EmulatorOptions> options, CancellationToken ct)
    {
        var settings = options.Value;
        if (await JsonBody.ReadAsync(context.Request, ct) is not { } body)
        {
            return JsonBody.BadJson(context);
        }
        if (!settings.EnableSignup)
        {
            return GoTrueErrors.Error(context, 422, "signup_disabled", "Signups not allowed for this instance");
        }
        var email = body.String("email")?.Trim().ToLowerInvariant();
        var phone = body.String("phone")?.Trim();
        var data = body["data"] as JsonObject ?? [];
        if (string.IsNullOrEmpty(email) && string.IsNullOrEmpty(phone))
        {
            return await AnonymousAsync(context, users, signIns, settings, data, ct);
        }
        if (!string.IsNullOrEmpty(phone))
        {
            return GoTrueErrors.Error(context, 422, "phone_provider_disabled", "Phone signups are disabled");
        }
        var password = body.String("password");
        if (string.IsNullOrEmpty(password))
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "Signup requires a valid password");
        }
        if (!IsEmail(email!))
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "Unable to validate email address: invalid format");
        }
        if (password.Length < settings.MinimumPasswordLength)
        {
            return GoTrueErrors.Error(context, 422, "weak_password", $"Password should be at least {settings.MinimumPasswordLength} characters.",
                new JsonObject { ["weak_password"] = new JsonObject { ["reasons"] = new JsonArray("length") } });
        }
        var (pkce, pkceError) = PkceChallenge.Parse(body.String("code_challenge"), body.String("code_challenge_method"));
        if (pkceError is not null)
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", pkceError);
        }
        var redirectTo = redirects.Resolve(context.Request.Query["redirect_to"].ToString());

        if (await users.FindByEmailAsync(email!, ct) is { } existing)
        {
            if (existing.EmailConfirmedAt is not null || settings.Autoconfirm)
            {
                // Autoconfirm answers honestly; otherwise a fake user hides that the account exists.
                return settings.Autoconfirm
                    ? GoTrueErrors.Error(context, 422, "user_already_exists", "User already registered")
                    : Results.Json(FakeUser(email!, data));
            }
            await links.SendAsync(existing, "signup", redirectTo, pkce, ct); // unconfirmed: mail the confirmation again
            return Results.Json((await users.FindByIdAsync(existing.Id, ct))!.ToJson());
        }
        var created = await users.CreateAsync(new NewUser(email, password, settings.Autoconfirm, data, "email"), ct);
        if (created is null)
        {
            return GoTrueErrors.Error(context, 422, "user_already_exists", "User already registered");
        }
        if (settings.Autoconfirm)
        {
            return Results.Json(await signIns.StartSessionAsync(created, "password", null, ct));
        }
        await links.SendAsync(created, "signup", redirectTo, pkce, ct);
        return Results.Json((await users.FindByIdAsync(created.Id, ct))!.ToJson());
    }

    private static async Task<IResult> AnonymousAsync(HttpContext context, AuthUsers users, SignIns signIns, EmulatorOptions settings, JsonObject data, CancellationToken ct)
    {
        if (!settings.EnableAnonymousSignIns)
        {
            return GoTrueErrors.Error(context, 422, "anonymous_provider_disabled", "Anonymous sign-ins are disabled");
        }
        var user = await users.CreateAsync(new NewUser(null, null, false, data, "anonymous", IsAnonymous: true), ct);
        return Results.Json(await signIns.StartSessionAsync(user!, "anonymous", null, ct));
    }

    private static bool IsEmail(string email)
    {
        var at = email.IndexOf('@');
        return at > 0 && at == email.LastIndexOf('@') && email.IndexOf('.', at) > at + 1 && !email.EndsWith('.') && !email.Any(char.IsWhiteSpace) && email.Length <= 255;
    }

    private static JsonObject FakeUser(string email, JsonObject data)
    {
        var now = AuthUser.Time(DateTimeOffset.UtcNow);
        return new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(), ["aud"] = "authenticated", ["role"] = "authenticated", ["email"] = email, ["phone"] = "",
            ["app_metadata"] = new JsonObject { ["provider"] = "email", ["providers"] = new JsonArray("email") },
            ["user_metadata"] = data.DeepClone(), ["identities"] = new JsonArray(), ["created_at"] = now, ["updated_at"] = now, ["is_anonymous"] = false,
        };
    }
}
