using System.Text.Json;
using System.Text.Json.Serialization;

namespace Proxy.Errors;

/// <summary>GoTrue's versioned error shape {"code","message"}, with the header auth-js needs to read the code.</summary>
public sealed record GatewayError(string Code, string Message);

[JsonSerializable(typeof(GatewayError))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class GatewayErrorJsonContext : JsonSerializerContext;

public static class GatewayErrors
{
    public const string ApiVersionHeader = "X-Supabase-Api-Version";
    public const string ApiVersion = "2024-01-01";

    public static Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers[ApiVersionHeader] = ApiVersion;
        context.Response.Headers["x-sb-error-code"] = code;
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(new GatewayError(code, message), GatewayErrorJsonContext.Default.GatewayError);
    }

    public static IResult Result(int status, string code, string message) => new ErrorResult(status, code, message);

    private sealed class ErrorResult(int status, string code, string message) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, status, code, message);
    }
}
