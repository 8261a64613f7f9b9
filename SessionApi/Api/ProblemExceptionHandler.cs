using Microsoft.AspNetCore.Diagnostics;
using SessionApi.Sessions;
using StackExchange.Redis;

namespace SessionApi.Api;

/// <summary>Maps failures to problem details; never a stack trace.</summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            return true; // the caller hung up; nobody reads an answer
        }
        var (status, title) = exception switch
        {
            InvalidSessionRequestException => (400, "Invalid request"),
            BadHttpRequestException => (400, "Invalid request"),
            System.Text.Json.JsonException => (400, "Invalid JSON"),
            RedisException => (503, "Session store unavailable"), // connection lost or refused, or a server error reply
            RedisTimeoutException => (503, "Session store unavailable"),
            _ => (500, "Unexpected error"),
        };
        if (status == 500)
        {
            logger.LogError(exception, "Request failed: {Title}", title);
        }
        else if (status == 503)
        {
            logger.LogWarning("Request refused, {Title}: {Reason}", title, exception.Message); // expected while Redis is down
        }
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new()
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = status == 500 ? null : exception.Message },
        });
    }
}
