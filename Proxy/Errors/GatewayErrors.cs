using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Proxy.Errors;

/// <summary>An error the gateway answers itself: status, GoTrue-style code and a message fit for the user.</summary>
public sealed record GatewayError(int Status, string Code, string Message)
{
    /// <summary>The same error with a message for the situation at hand.</summary>
    public GatewayError Saying(string message) => this with { Message = message };
}

/// <summary>GoTrue's versioned error body {"code","message"}.</summary>
internal sealed record ErrorBody(string Code, string Message);

[JsonSerializable(typeof(ErrorBody))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ErrorBodyJsonContext : JsonSerializerContext;

/// <summary>
/// Every error the Proxy writes itself, in GoTrue's shape and with the header auth-js reads the code from. Two
/// writers: <see cref="WriteAsync"/> always uses the versioned shape (the gateway's own endpoints and forwarded
/// APIs); <see cref="WriteAsGoTrueAsync"/> answers as GoTrue would for this client (versioned when it sent
/// X-Supabase-Api-Version, as auth-js does, else GoTrue's legacy {"code":status,"error_code","msg"}), for routes a
/// GoTrue client talks to.
/// </summary>
public static class GatewayErrors
{
    public const string ApiVersionHeader = "X-Supabase-Api-Version";
    public const string ApiVersion = "2024-01-01";
    public const string ErrorCodeHeader = "x-sb-error-code";

    public static readonly GatewayError SessionStoreUnavailable = new(503, "session_store_unavailable", "The session service is unavailable; try again shortly.");
    public static readonly GatewayError SessionExpired = new(401, "session_expired", "Your session has ended or was revoked; sign in again.");
    public static readonly GatewayError SessionMissing = new(401, "session_missing", "You are not signed in.");
    public static readonly GatewayError SessionNotFound = new(404, "session_not_found", "No session of yours has that id.");
    public static readonly GatewayError DuplicateSessionCookie = new(400, "duplicate_session_cookie", "The request carries more than one session cookie; sign in again.");
    public static readonly GatewayError RefreshTokenNotFound = new(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
    public static readonly GatewayError OverRequestRateLimit = new(429, "over_request_rate_limit", "Request rate limit reached");
    public static readonly GatewayError CsrfOriginMismatch = new(403, "csrf_origin_mismatch", "Cross-origin request refused: state-changing requests with the session cookie must come from the app's own origin.");
    public static readonly GatewayError ValidationFailed = new(400, "validation_failed", "The request is not valid.");
    public static readonly GatewayError MalformedPath = ValidationFailed.Saying("Malformed request path (empty segments or encoded slashes are not accepted).");
    public static readonly GatewayError BadJson = new(400, "bad_json", "Could not parse request body as JSON (malformed, or nested deeper than allowed).");
    public static readonly GatewayError BadRequest = new(400, "bad_request", "Malformed request.");
    public static readonly GatewayError RequestTooLarge = new(413, "request_entity_too_large", "Request body is too large.");
    public static readonly GatewayError HeadersTooLarge = new(431, "request_header_fields_too_large", "The request headers are too large.");
    public static readonly GatewayError NotFound = new(404, "not_found", "No such gateway endpoint.");
    public static readonly GatewayError UpstreamUnavailable = new(502, "upstream_unavailable", "Supabase Auth is unreachable.");
    public static readonly GatewayError UpstreamTimeout = new(504, "upstream_timeout", "Supabase Auth did not answer in time.");
    public static readonly GatewayError UpstreamInvalidResponse = new(502, "upstream_invalid_response", "Supabase Auth sent a response the gateway cannot use.");
    public static readonly GatewayError UpstreamResponseTooLarge = new(502, "upstream_response_too_large", "Supabase Auth sent an unexpectedly large response.");
    public static readonly GatewayError SessionNotIntercepted = new(502, "session_not_intercepted", "This sign-in route is not supported through the gateway; the session was not handed to the browser.");
    public static readonly GatewayError UpstreamError = new(502, "upstream_error", "Supabase answered with an error.");
    public static readonly GatewayError UnexpectedFailure = new(500, "unexpected_failure", "Unexpected failure; try again.");
    public static readonly GatewayError WebsocketUpgradeRequired = new(400, "websocket_upgrade_required", "This endpoint only accepts websocket upgrades.");
    public static readonly GatewayError WebsocketOriginNotAllowed = new(403, "websocket_origin_not_allowed", "Websocket connections are only accepted from the site's own origin.");
    public static readonly GatewayError RealtimeUnavailable = new(502, "realtime_unavailable", "Realtime is unavailable; try again shortly.");

    /// <summary>The body limit error naming the limit.</summary>
    public static GatewayError BodyLargerThan(long limit) => RequestTooLarge.Saying($"Request body is larger than {limit} bytes.");

    /// <summary>The gateway's versioned shape.</summary>
    public static Task WriteAsync(HttpContext context, GatewayError error)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        response.Headers[ApiVersionHeader] = ApiVersion;
        response.Headers[ErrorCodeHeader] = error.Code;
        response.Headers.CacheControl = "no-store";
        return response.WriteAsJsonAsync(new ErrorBody(error.Code, error.Message), ErrorBodyJsonContext.Default.ErrorBody, cancellationToken: context.RequestAborted);
    }

    /// <summary>The shape GoTrue itself would answer this client with (see the class summary).</summary>
    public static Task WriteAsGoTrueAsync(HttpContext context, GatewayError error)
    {
        if (context.Request.Headers.ContainsKey(ApiVersionHeader))
        {
            return WriteAsync(context, error);
        }
        var response = context.Response;
        response.StatusCode = error.Status;
        response.Headers[ErrorCodeHeader] = error.Code;
        response.Headers.CacheControl = "no-store";
        response.ContentType = "application/json";
        return response.WriteAsync(new JsonObject { ["code"] = error.Status, ["error_code"] = error.Code, ["msg"] = error.Message }.ToJsonString(), context.RequestAborted);
    }

    /// <summary><see cref="WriteAsync"/> as an endpoint result.</summary>
    public static IResult Result(GatewayError error) => new ErrorResult(error, goTrueShape: false);

    /// <summary><see cref="WriteAsGoTrueAsync"/> as an endpoint result.</summary>
    public static IResult GoTrueResult(GatewayError error) => new ErrorResult(error, goTrueShape: true);

    private sealed class ErrorResult(GatewayError error, bool goTrueShape) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => goTrueShape ? WriteAsGoTrueAsync(httpContext, error) : WriteAsync(httpContext, error);
    }
}
