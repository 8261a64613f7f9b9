namespace SessionApi.Sessions;

/// <summary>Durable session storage. Keyed by <see cref="SessionCookie.Key"/> (a hash of the cookie id).</summary>
public interface ISessionStore
{
    /// <summary>Stores a new session and indexes it by public id and by user; returns once a replica holds it (where there is one).</summary>
    Task CreateAsync(string key, SessionRecord record, TimeSpan timeToLive, CancellationToken ct);

    /// <summary>
    /// Applies <paramref name="change"/> to the stored session and resets its time to live, as one compare-and-set:
    /// when another writer (a touch, a GoTrue refresh, a user update on another instance) landed in between, the change
    /// is applied again to what it wrote, so no writer's update is lost. Null when the session is gone: an update
    /// racing a revocation must never bring the session back. With <paramref name="confirmOnReplica"/> the change is
    /// returned only once a replica holds it (a rotated refresh token, a user update), else it fails.
    /// </summary>
    Task<SessionRecord?> ModifyAsync(string key, Func<SessionRecord, SessionRecord> change, Func<SessionRecord, TimeSpan> timeToLive, CancellationToken ct,
        bool confirmOnReplica = false);

    Task<SessionRecord?> GetAsync(string key, CancellationToken ct);

    /// <summary>The key of one of the user's sessions by its public id (null when unknown or not theirs).</summary>
    Task<string?> FindKeyAsync(string userId, string publicId, CancellationToken ct);

    /// <summary>All stored sessions of a user, with their keys.</summary>
    Task<IReadOnlyList<(string Key, SessionRecord Record)>> ListByUserAsync(string userId, CancellationToken ct);

    /// <summary>Deletes sessions; returns how many existed, once a replica holds the deletion (where there is one).</summary>
    Task<int> DeleteAsync(IReadOnlyList<(string Key, SessionRecord Record)> sessions, CancellationToken ct);

    /// <summary>Takes the per-session GoTrue refresh lock; returns the lock token, or null when someone holds it.</summary>
    Task<string?> TryLockRefreshAsync(string key, TimeSpan timeToLive, CancellationToken ct);

    /// <summary>The current holder's lock value (null when free): lets waiters tell "in progress" from "backing off".</summary>
    Task<string?> PeekRefreshLockAsync(string key, CancellationToken ct);

    /// <summary>Releases the lock if <paramref name="token"/> still holds it, or replaces it with <paramref name="replacement"/>
    /// (keeping its expiry) to turn it into a back-off marker.</summary>
    Task ReleaseRefreshLockAsync(string key, string token, string? replacement, CancellationToken ct);
}
