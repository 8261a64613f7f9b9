namespace Proxy.Realtime;

/// <summary>
/// The channels a relayed socket has joined (topic → join_ref), so the relay can push a fresh token to each of them.
/// Written by both pumps and read by the rotation loop.
/// </summary>
public sealed class JoinedTopics
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string?> _joinRefs = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _joinRefs.Count;
            }
        }
    }

    /// <summary>The client sent phx_join (a rejoin replaces the previous join_ref).</summary>
    public void Joined(string topic, string? joinRef)
    {
        lock (_gate)
        {
            _joinRefs[topic] = joinRef;
        }
    }

    /// <summary>The client sent phx_leave.</summary>
    public void Left(string topic)
    {
        lock (_gate)
        {
            _joinRefs.Remove(topic);
        }
    }

    /// <summary>The server closed the channel or refused the join; ignored when it concerns an older join of the topic.</summary>
    public void Ended(string topic, string? joinRef)
    {
        lock (_gate)
        {
            if (_joinRefs.TryGetValue(topic, out var current) && (joinRef is null || current is null || current == joinRef))
            {
                _joinRefs.Remove(topic);
            }
        }
    }

    /// <summary>An error reply whose ref is the join's own ref: the join failed (error replies to other pushes do not count).</summary>
    public void JoinRefused(string topic, string? reference)
    {
        lock (_gate)
        {
            if (reference is not null && _joinRefs.TryGetValue(topic, out var current) && current == reference)
            {
                _joinRefs.Remove(topic);
            }
        }
    }

    public KeyValuePair<string, string?>[] Snapshot()
    {
        lock (_gate)
        {
            return [.. _joinRefs];
        }
    }
}
