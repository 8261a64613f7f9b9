using System.Text.Json.Nodes;
using Proxy.Errors;

namespace Proxy.Auth;

/// <summary>Errors in GoTrue's format: versioned when the client sent X-Supabase-Api-Version (auth-js does), else legacy.</summary>
public static class AuthErrors
{
    public static Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        if (context.Request.Headers.ContainsKey(GatewayErrors.ApiVersionHeader))
        {
            return GatewayErrors.WriteAsync(context, status, code, message);
        }
        context.Response.StatusCode = status;
        context.Response.Headers["x-sb-error-code"] = code;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(new JsonObject { ["code"] = status, ["error_code"] = code, ["msg"] = message }.ToJsonString());
    }
}
