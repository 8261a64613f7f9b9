using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace SupabaseEmulator.Realtime;

/// <summary>
/// Who is joined to which topic across all sockets of the emulator: broadcasts fan out from here, and presence
/// (kept minimal: track/untrack per socket) is shared per topic.
/// </summary>
public sealed class RealtimeHub
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<RealtimeSocket, byte>> _subscribers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, JsonObject>> _presence = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<RealtimeSocket, byte> _sockets = new();
    private long _presenceRefs;

    public int SocketCount => _sockets.Count;

    public void Connected(RealtimeSocket socket) => _sockets.TryAdd(socket, 0);

    public void Disconnected(RealtimeSocket socket) => _sockets.TryRemove(socket, out _);

    public IReadOnlyDictionary<string, int> Topics() =>
        _subscribers.Where(t => !t.Value.IsEmpty).ToDictionary(t => t.Key, t => t.Value.Count, StringComparer.Ordinal);

    public void Subscribe(string topic, RealtimeSocket socket) =>
        _subscribers.GetOrAdd(topic, _ => new ConcurrentDictionary<RealtimeSocket, byte>()).TryAdd(socket, 0);

    public void Unsubscribe(string topic, RealtimeSocket socket)
    {
        if (_subscribers.TryGetValue(topic, out var members))
        {
            members.TryRemove(socket, out _);
        }
    }

    /// <summary>Sends a user broadcast to every socket joined to the topic (the sender too when its channel asked for <c>self</c>).</summary>
    public void Broadcast(string topic, UserBroadcast broadcast, RealtimeSocket? sender)
    {
        if (!_subscribers.TryGetValue(topic, out var members))
        {
            return;
        }
        foreach (var member in members.Keys)
        {
            if (member != sender || member.WantsOwnBroadcasts(topic))
            {
                member.DeliverBroadcast(topic, broadcast);
            }
        }
    }

    /// <summary>The presence state of a topic: key → { metas: [...] }.</summary>
    public JsonObject PresenceState(string topic)
    {
        var state = new JsonObject();
        if (_presence.TryGetValue(topic, out var entries))
        {
            foreach (var (key, meta) in entries)
            {
                state[key] = new JsonObject { ["metas"] = new JsonArray(meta.DeepClone()) };
            }
        }
        return state;
    }

    public void Track(string topic, string key, JsonNode? meta)
    {
        var entry = meta is JsonObject given ? (JsonObject)given.DeepClone() : new JsonObject();
        entry["phx_ref"] = "emulator-" + Interlocked.Increment(ref _presenceRefs).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _presence.GetOrAdd(topic, _ => new ConcurrentDictionary<string, JsonObject>(StringComparer.Ordinal))[key] = entry;
        PushDiff(topic, joins: new JsonObject { [key] = new JsonObject { ["metas"] = new JsonArray(entry.DeepClone()) } }, leaves: new JsonObject());
    }

    public void Untrack(string topic, string key)
    {
        if (_presence.TryGetValue(topic, out var entries) && entries.TryRemove(key, out var entry))
        {
            PushDiff(topic, joins: new JsonObject(), leaves: new JsonObject { [key] = new JsonObject { ["metas"] = new JsonArray(entry) } });
        }
    }

    private void PushDiff(string topic, JsonObject joins, JsonObject leaves)
    {
        if (!_subscribers.TryGetValue(topic, out var members))
        {
            return;
        }
        var diff = new JsonObject { ["joins"] = joins, ["leaves"] = leaves };
        foreach (var member in members.Keys)
        {
            member.DeliverPush(topic, "presence_diff", diff);
        }
    }
}
