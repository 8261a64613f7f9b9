using System.Text.Json.Nodes;

namespace SupabaseStandIn.GoTrue;

/// <summary>GoTrue's error shapes (contract §1.12): versioned when the request sent X-Supabase-Api-Version, else legacy.</summary>
public static class GoTrueErrors
{
    public static IResult Error(HttpContext context, int status, string code, string message)
    {
        context.Response.Headers["x-sb-error-code"] = code;
        if (context.Request.Headers.TryGetValue("X-Supabase-Api-Version", out var version) && string.CompareOrdinal(version.ToString(), "2024-01-01") >= 0)
        {
            context.Response.Headers["X-Supabase-Api-Version"] = "2024-01-01";
            return Results.Json(new JsonObject { ["code"] = code, ["message"] = message }, statusCode: status);
        }
        return Results.Json(new JsonObject { ["code"] = status, ["error_code"] = code, ["msg"] = message }, statusCode: status);
    }
}
