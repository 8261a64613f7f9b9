using System.Collections.Concurrent;
using System.Text;

namespace SupabaseEmulator.Inspection;

/// <summary>
/// Broken answers on demand (test hook, not Supabase): POST /__emulator/faults {"path":"/auth/v1/token","mode":"truncated_json"}
/// makes every request to that exact path get the broken answer until DELETE /__emulator/faults.
/// </summary>
public sealed class EmulatorFaults
{
    public static readonly string[] Modes = ["truncated_json", "html", "empty", "tokens_without_session", "html_error_with_trace"];

    private readonly ConcurrentDictionary<string, string> _byPath = new(StringComparer.Ordinal);

    public sealed record FaultRequest(string Path, string Mode);

    public bool Set(FaultRequest fault)
    {
        if (!Modes.Contains(fault.Mode) || !fault.Path.StartsWith('/'))
        {
            return false;
        }
        _byPath[fault.Path] = fault.Mode;
        return true;
    }

    public void Clear() => _byPath.Clear();

    /// <summary>Answers the request with its fault, if one is set; false lets it through.</summary>
    public async Task<bool> TryAnswerAsync(HttpContext context)
    {
        if (_byPath.IsEmpty || !_byPath.TryGetValue(context.Request.Path.Value ?? "", out var mode))
        {
            return false;
        }
        var (status, type, body) = mode switch
        {
            "truncated_json" => (200, "application/json", """{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln","refresh_token":"emulator-refresh-tru"""),
            "html" => (200, "text/html", "<html><body>502 Bad Gateway</body></html>"),
            "empty" => (200, "application/json", ""),
            "tokens_without_session" => (200, "application/json", """{"access_token":12,"refresh_token":"emulator-refresh-leak","expires_in":"soon"}"""),
            _ => (500, "text/html", "<pre>panic: runtime error\n    at gotrue/api.(*API).Token (/src/api/token.go:118)\n    at net/http.HandlerFunc.ServeHTTP</pre>"),
        };
        context.Response.StatusCode = status;
        context.Response.ContentType = type;
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(body));
        return true;
    }
}
