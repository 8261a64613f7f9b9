using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Proxy.Errors;
using Proxy.Sessions;

namespace Proxy.Auth;

/// <summary>
/// <c>GET /edge/v1/auth/callback?flow=…</c>: where GoTrue sends the browser at the end of a gateway-started PKCE flow
/// (see <see cref="ServerPkce"/>). The gateway exchanges the code with the verifier from this browser's flow cookie,
/// creates the cookie session and sends the browser on (303) to the app's original <c>redirect_to</c> with
/// placeholder tokens in the fragment, in the implicit flow's format, so supabase-js's <c>detectSessionInUrl</c> sees a
/// session. Failures go to the same place with GoTrue's error parameters; no answer of this endpoint carries a body.
/// </summary>
public static class ServerPkceCallback
{
    public static RouteHandlerBuilder MapServerPkceCallback(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(AuthFlowCookie.CallbackPath, HandleAsync);

    private static async Task HandleAsync(HttpContext context, AuthFlowCookie flowCookie, ServerPkce pkce, GoTrueForwarder goTrue,
        SignInCompleter completer, CancellationToken ct)
    {
        var query = context.Request.Query;
        var flowId = query["flow"].ToString();
        var state = AuthFlowCookie.IsFlowId(flowId) ? flowCookie.Take(context, flowId) : null;
        if (state is null)
        {
            // Another browser, an expired or already used link: we do not know (and must not trust) where to go.
            SeeOther(context, ErrorTarget((pkce.OwnOrigin(context.Request) ?? "") + "/", "invalid_request", "flow_state_not_found",
                "This sign-in link belongs to another browser or has expired; request a new one from this browser."));
            return;
        }
        if (query["error"].ToString() is { Length: > 0 } error)
        {
            SeeOther(context, ErrorTarget(state.Next, error, query["error_code"].ToString() is { Length: > 0 } c ? c : "provider_error",
                query["error_description"].ToString() is { Length: > 0 } d ? d : "The sign-in was not completed."));
            return;
        }
        var code = query["code"].ToString();
        if (code.Length is 0 or > 512)
        {
            SeeOther(context, ErrorTarget(state.Next, "invalid_request", "bad_code_verifier", "The sign-in callback carried no auth code."));
            return;
        }
        SeeOther(context, await ExchangeAsync(context, state, code, goTrue, completer, ct));
    }

    private static async Task<string> ExchangeAsync(HttpContext context, AuthFlowState state, string code, GoTrueForwarder goTrue,
        SignInCompleter completer, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(new JsonObject { ["auth_code"] = code, ["code_verifier"] = state.Verifier }.ToJsonString());
        GoTrueResponse answer;
        try
        {
            answer = await goTrue.SendAsync(context, HttpMethod.Post, "/auth/v1/token?grant_type=pkce", body, new MediaTypeHeaderValue("application/json"), null, ct);
        }
        catch (HttpRequestException)
        {
            return ErrorTarget(state.Next, "server_error", "upstream_unavailable", "Supabase Auth is unreachable.");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return ErrorTarget(state.Next, "server_error", "upstream_timeout", "Supabase Auth did not answer in time.");
        }
        if (answer.Status != 200 || !SignInCompleter.TryReadSession(answer.Body, out var session))
        {
            var (errorCode, message) = ReadError(answer.Body);
            return ErrorTarget(state.Next, answer.Status >= 500 ? "server_error" : "invalid_request", errorCode, message);
        }
        JsonObject placeholder;
        try
        {
            placeholder = await completer.CompleteAsync(context, session!, ct);
        }
        catch (SessionApiUnavailableException)
        {
            return ErrorTarget(state.Next, "server_error", GatewayErrors.SessionStoreUnavailable.Code, GatewayErrors.SessionStoreUnavailable.Message);
        }
        var fragment = new List<KeyValuePair<string, string>>
        {
            new("access_token", placeholder["access_token"]!.GetValue<string>()),
            new("expires_at", placeholder["expires_at"]!.ToJsonString()),
            new("expires_in", placeholder["expires_in"]!.ToJsonString()),
            new("refresh_token", placeholder["refresh_token"]!.GetValue<string>()),
            new("token_type", "bearer"),
        };
        if (state.Type is { } type)
        {
            fragment.Add(new("type", type));
        }
        return WithoutFragment(state.Next) + "#" + Form(fragment);
    }

    /// <summary>GoTrue's error redirect: error, error_code and error_description in the query and in the fragment.</summary>
    private static string ErrorTarget(string next, string error, string code, string description)
    {
        List<KeyValuePair<string, string>> parameters = [new("error", error), new("error_code", code), new("error_description", description)];
        var target = WithoutFragment(next);
        return target + (target.Contains('?') ? "&" : "?") + Form(parameters) + "#" + Form(parameters);
    }

    private static (string Code, string Message) ReadError(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            string? Text(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return (Text("error_code") ?? Text("code") ?? "unexpected_failure", Text("message") ?? Text("msg") ?? "The sign-in could not be completed.");
        }
        catch (JsonException)
        {
            return ("unexpected_failure", "The sign-in could not be completed.");
        }
    }

    private static string WithoutFragment(string url) => url.Split('#')[0];

    private static string Form(IEnumerable<KeyValuePair<string, string>> parameters) =>
        string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));

    private static void SeeOther(HttpContext context, string location)
    {
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = location;
        context.Response.Headers.CacheControl = "no-store";
    }
}
