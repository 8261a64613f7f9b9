namespace SessionApi.Sessions;

/// <summary>Durable session storage. Keyed by <see cref="SessionCookie.Key"/> (a hash of the cookie id).</summary>
public interface ISessionStore
{
    Task SaveAsync(string key, SessionRecord record, TimeSpan timeToLive, CancellationToken ct);

    Task<SessionRecord?> GetAsync(string key, CancellationToken ct);

    /// <summary>The key of a session by its public id (null when unknown).</summary>
    Task<string?> FindKeyAsync(string publicId, CancellationToken ct);

    /// <summary>All live sessions of a user, with their keys.</summary>
    Task<IReadOnlyList<(string Key, SessionRecord Record)>> ListByUserAsync(string userId, CancellationToken ct);

    /// <summary>Deletes sessions; true for each key that existed.</summary>
    Task<int> DeleteAsync(IReadOnlyList<(string Key, SessionRecord Record)> sessions, CancellationToken ct);
}
