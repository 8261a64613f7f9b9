using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SessionApi.Options;

namespace SessionApi.Api;

/// <summary>Internal callers prove themselves with the shared caller key (compared in constant time).</summary>
internal sealed class CallerKeyFilter(IOptions<SessionApiOptions> options) : IEndpointFilter
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.CallerKey));

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected))
        {
            return ValueTask.FromResult<object?>(Results.Problem(statusCode: 401, title: "Unauthenticated caller",
                detail: "The SessionApi is internal: send 'Authorization: Bearer <SessionApi:CallerKey>'."));
        }
        return next(context);
    }
}
