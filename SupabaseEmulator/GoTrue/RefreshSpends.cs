using System.Collections.Concurrent;

namespace SupabaseEmulator.GoTrue;

/// <summary>What happened to one GoTrue session's refresh tokens (GET /__emulator/refresh-spends).</summary>
public sealed class SessionRefreshCount
{
    private int _refreshes;
    private int _rotations;
    private int _rejected;

    /// <summary>Successful refresh_token grants (including parent replays).</summary>
    public int Refreshes => _refreshes;

    /// <summary>Grants that minted a new refresh token.</summary>
    public int Rotations => _rotations;

    /// <summary>Grants refused as refresh_token_already_used.</summary>
    public int Rejected => _rejected;

    internal void Count(bool success, bool rotated)
    {
        if (success)
        {
            Interlocked.Increment(ref _refreshes);
        }
        else
        {
            Interlocked.Increment(ref _rejected);
        }
        if (rotated)
        {
            Interlocked.Increment(ref _rotations);
        }
    }
}

/// <summary>Test inspection: refresh-token spends per GoTrue session, e.g. to prove a gateway refreshes single-flight.</summary>
public sealed class RefreshSpends
{
    private readonly ConcurrentDictionary<Guid, SessionRefreshCount> _sessions = new();

    public void Record(Guid sessionId, bool success, bool rotated) =>
        _sessions.GetOrAdd(sessionId, _ => new SessionRefreshCount()).Count(success, rotated);

    public SessionRefreshCount For(Guid sessionId) => _sessions.GetValueOrDefault(sessionId) ?? new SessionRefreshCount();

    public IReadOnlyDictionary<string, SessionRefreshCount> Snapshot() => _sessions.ToDictionary(p => p.Key.ToString(), p => p.Value);
}
