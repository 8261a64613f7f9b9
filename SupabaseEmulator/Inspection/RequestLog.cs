using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace SupabaseEmulator.Inspection;

/// <summary>One request as the emulator received it (before the gateway's Authorization rewrite).</summary>
public sealed record LoggedRequest(
    long Seq,
    DateTimeOffset At,
    string Method,
    string Path,
    string Query,
    IReadOnlyDictionary<string, string> Headers,
    JsonObject? BearerClaims);

/// <summary>
/// Test inspection, not part of Supabase: the last requests with their headers as received, so tests can assert
/// what a gateway in front injected or stripped (apikey, Authorization, Cookie, Sb-Forwarded-For ...).
/// </summary>
public sealed class RequestLog
{
    private const int Capacity = 1000;
    private readonly ConcurrentQueue<LoggedRequest> _entries = new();
    private long _seq;

    public void Record(HttpRequest request, DateTimeOffset at)
    {
        var headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
        var entry = new LoggedRequest(Interlocked.Increment(ref _seq), at, request.Method, request.Path.Value ?? "",
            request.QueryString.Value ?? "", headers, DecodeBearer(request.Headers.Authorization.ToString()));
        _entries.Enqueue(entry);
        while (_entries.Count > Capacity && _entries.TryDequeue(out _))
        {
        }
    }

    /// <summary>Entries oldest first, optionally only those whose path starts with <paramref name="pathPrefix"/> or with Seq &gt; <paramref name="after"/>.</summary>
    public IEnumerable<LoggedRequest> Snapshot(string? pathPrefix, long after) =>
        _entries.Where(e => e.Seq > after && (pathPrefix is null || e.Path.StartsWith(pathPrefix, StringComparison.Ordinal)));

    public void Clear() => _entries.Clear();

    /// <summary>The payload of a JWT bearer token, unverified (what a gateway injected, valid or not).</summary>
    private static JsonObject? DecodeBearer(string authorization)
    {
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var parts = authorization[7..].Trim().Split('.');
        if (parts.Length != 3)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(Base64Url.DecodeFromChars(parts[1])) as JsonObject;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
