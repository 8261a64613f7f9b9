using System.Collections.Concurrent;

namespace SupabaseEmulator.Realtime;

/// <summary>One token Realtime was given: where (connect apikey, join, access_token event, REST), for which topic, and the verdict.</summary>
public sealed record RealtimeTokenEntry(
    DateTimeOffset At,
    string Source,
    string? Topic,
    string? Token,
    string? Sub,
    string? Role,
    string? SessionId,
    long? Exp,
    bool Accepted,
    string? Error);

/// <summary>Every token the Realtime emulator saw, so tests can assert what the relay injected (GET /__emulator/realtime/tokens).</summary>
public sealed class RealtimeTokenLog
{
    private const int Capacity = 10_000;
    private readonly ConcurrentQueue<RealtimeTokenEntry> _entries = new();

    public void Record(RealtimeTokenEntry entry)
    {
        _entries.Enqueue(entry);
        while (_entries.Count > Capacity && _entries.TryDequeue(out _))
        {
        }
    }

    public IReadOnlyList<RealtimeTokenEntry> Snapshot() => [.. _entries];
}
