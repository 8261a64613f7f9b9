using System.Text.Json.Nodes;

namespace SupabaseEmulator.GoTrue;

/// <summary>
/// GoTrue's error shapes (docs/supabase-contract.md §1.12): versioned <c>{code, message}</c> plus the response header
/// <c>X-Supabase-Api-Version</c> when the request asked for 2024-01-01 or later, else legacy
/// <c>{code: status, error_code, msg}</c>. Both set <c>x-sb-error-code</c>.
/// </summary>
public static class GoTrueErrors
{
    public const string ApiVersion = "2024-01-01";

    public static IResult Error(HttpContext context, int status, string code, string message, JsonObject? extra = null)
    {
        context.Response.Headers["x-sb-error-code"] = code;
        JsonObject body;
        if (WantsVersioned(context.Request))
        {
            context.Response.Headers["X-Supabase-Api-Version"] = ApiVersion;
            body = new JsonObject { ["code"] = code, ["message"] = message };
        }
        else
        {
            body = new JsonObject { ["code"] = status, ["error_code"] = code, ["msg"] = message };
        }
        foreach (var (name, value) in extra ?? [])
        {
            body[name] = value?.DeepClone();
        }
        return Results.Json(body, statusCode: status);
    }

    /// <summary>The OAuth-style shape some token paths use (always 400).</summary>
    public static IResult OAuthError(string error, string description) =>
        Results.Json(new JsonObject { ["error"] = error, ["error_description"] = description }, statusCode: 400);

    private static bool WantsVersioned(HttpRequest request) =>
        request.Headers.TryGetValue("X-Supabase-Api-Version", out var version)
        && DateOnly.TryParseExact(version.ToString().Trim(), "yyyy-MM-dd", out var date)
        && date >= new DateOnly(2024, 1, 1);
}
