using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace SupabaseEmulator.GoTrue;

/// <summary>GET/PUT /auth/v1/user and POST /auth/v1/logout (docs/supabase-contract.md §1.6, §1.7).</summary>
public static class UserEndpoints
{
    public static async Task<IResult> GetAsync(HttpContext context, EmulatorJwt jwt, AuthUsers users, AuthSessions sessions, TimeProvider time, CancellationToken ct)
    {
        var (caller, problem) = await BearerUser.AuthenticateAsync(context, jwt, users, sessions, time, ct);
        if (caller is null)
        {
            return problem!;
        }
        var requestAudience = context.Request.Headers["X-JWT-AUD"].ToString() is { Length: > 0 } header ? header : caller.User.Aud;
        if (caller.Claims["aud"]?.ToString() is not { Length: > 0 } audience || audience != requestAudience)
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "Token audience doesn't match request audience");
        }
        return Results.Json(caller.User.ToJson());
    }

    /// <summary>
    /// Metadata merge, password change, email change. The emulator applies an email change at once (no
    /// double-confirmation mails); app_metadata is admin-only.
    /// </summary>
    public static async Task<IResult> UpdateAsync(HttpContext context, EmulatorJwt jwt, AuthUsers users, AuthSessions sessions, TimeProvider time,
        IOptions<EmulatorOptions> options, CancellationToken ct)
    {
        var (caller, problem) = await BearerUser.AuthenticateAsync(context, jwt, users, sessions, time, ct);
        if (caller is null)
        {
            return problem!;
        }
        if (await JsonBody.ReadAsync(context.Request, ct) is not { } body)
        {
            return JsonBody.BadJson(context);
        }
        if (body.ContainsKey("app_metadata"))
        {
            return GoTrueErrors.Error(context, 403, "not_admin", "User not allowed");
        }
        var password = body.String("password");
        if (password is not null)
        {
            if (password.Length < options.Value.MinimumPasswordLength)
            {
                return GoTrueErrors.Error(context, 422, "weak_password", $"Password should be at least {options.Value.MinimumPasswordLength} characters.",
                    new JsonObject { ["weak_password"] = new JsonObject { ["reasons"] = new JsonArray("length") } });
            }
            if (caller.User.Email is { } current && await users.FindByPasswordAsync(current, password, ct) is not null)
            {
                return GoTrueErrors.Error(context, 422, "same_password", "New password should be different from the old password.");
            }
        }
        var email = body.String("email")?.Trim().ToLowerInvariant();
        if (email is not null && email != caller.User.Email && await users.EmailTakenAsync(email, caller.User.Id, ct))
        {
            return GoTrueErrors.Error(context, 422, "email_exists", "A user with this email address has already been registered");
        }
        var updated = await users.UpdateAsync(caller.User.Id, email == caller.User.Email ? null : email, password, body["data"] as JsonObject, ct);
        return Results.Json(updated!.ToJson());
    }

    public static async Task<IResult> LogoutAsync(HttpContext context, EmulatorJwt jwt, AuthUsers users, AuthSessions sessions, TimeProvider time, CancellationToken ct)
    {
        var (caller, problem) = await BearerUser.AuthenticateAsync(context, jwt, users, sessions, time, ct);
        if (caller is null)
        {
            return problem!;
        }
        var scope = context.Request.Query["scope"].ToString();
        if (scope is not ("" or "global" or "local" or "others"))
        {
            return GoTrueErrors.Error(context, 400, "validation_failed", "Unsupported logout scope");
        }
        await sessions.LogoutAsync(caller.User.Id, caller.SessionId, scope, ct);
        return Results.NoContent();
    }
}
