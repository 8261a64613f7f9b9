using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SupabaseEmulator.Realtime;

/// <summary>A decoded Phoenix message (docs/supabase-contract.md §4.2). <see cref="Broadcast"/> is set for user broadcasts in any encoding.</summary>
public sealed record PhoenixMessage(string? JoinRef, string? Ref, string Topic, string Event, JsonNode? Payload, UserBroadcast? Broadcast = null);

/// <summary>A user broadcast: its event, and either a JSON payload or raw bytes (binary encoding), plus optional metadata JSON.</summary>
public sealed record UserBroadcast(string Event, JsonNode? Json, byte[]? Binary, string? Metadata);

/// <summary>
/// Phoenix serializers as Realtime speaks them: vsn 1.0.0 JSON objects; vsn 2.0.0 JSON arrays plus the binary
/// user-broadcast kinds 3 (client push) and 4 (server broadcast), laid out like realtime-js's serializer.
/// </summary>
public static class PhoenixCodec
{
    public const byte UserBroadcastPushKind = 3;
    public const byte UserBroadcastKind = 4;
    private const byte BinaryEncoding = 0;
    private const byte JsonEncoding = 1;

    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    /// <summary>Decodes a text message in the socket's serializer; null when it is not a valid Phoenix message.</summary>
    public static PhoenixMessage? DecodeText(ReadOnlySpan<byte> utf8, bool v2)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(utf8, documentOptions: Strict);
        }
        catch (JsonException)
        {
            return null;
        }

        PhoenixMessage? message = null;
        if (!v2 && root is JsonObject v1 && Str(v1["topic"], out var topic) && topic is not null &&
            Str(v1["event"], out var name) && name is not null && v1.ContainsKey("payload") && v1.ContainsKey("ref") &&
            Str(v1["ref"], out var reference) && Str(v1["join_ref"], out var joinRef))
        {
            message = new PhoenixMessage(joinRef, reference, topic, name, Detach(v1, "payload"));
        }
        else if (v2 && root is JsonArray { Count: 5 } array && Str(array[0], out var joinRef2) && Str(array[1], out var ref2) &&
                 Str(array[2], out var topic2) && topic2 is not null && Str(array[3], out var name2) && name2 is not null)
        {
            var payload = array[4];
            array[4] = null;
            message = new PhoenixMessage(joinRef2, ref2, topic2, name2, payload);
        }

        if (message is { Event: "broadcast", Payload: JsonObject body } && Str(body["event"], out var userEvent) && userEvent is not null)
        {
            message = message with { Broadcast = new UserBroadcast(userEvent, body["payload"]?.DeepClone(), null, null) };
        }
        return message;
    }

    /// <summary>Decodes a binary frame (kind 3, user broadcast push); null for anything else.</summary>
    public static PhoenixMessage? DecodeBinary(ReadOnlySpan<byte> frame)
    {
        const int header = 7;
        if (frame.Length < header || frame[0] != UserBroadcastPushKind)
        {
            return null;
        }
        int joinRefSize = frame[1], refSize = frame[2], topicSize = frame[3], eventSize = frame[4], metadataSize = frame[5];
        var encoding = frame[6];
        var offset = header;
        if (frame.Length < offset + joinRefSize + refSize + topicSize + eventSize + metadataSize || encoding > JsonEncoding)
        {
            return null;
        }
        var joinRef = Take(frame, ref offset, joinRefSize);
        var reference = Take(frame, ref offset, refSize);
        var topic = Take(frame, ref offset, topicSize);
        var userEvent = Take(frame, ref offset, eventSize);
        var metadata = Take(frame, ref offset, metadataSize);
        var data = frame[offset..];

        UserBroadcast broadcast;
        if (encoding == JsonEncoding)
        {
            JsonNode? json;
            try
            {
                json = JsonNode.Parse(data, documentOptions: Strict);
            }
            catch (JsonException)
            {
                return null;
            }
            broadcast = new UserBroadcast(userEvent, json, null, metadata.Length == 0 ? null : metadata);
        }
        else
        {
            broadcast = new UserBroadcast(userEvent, null, data.ToArray(), metadata.Length == 0 ? null : metadata);
        }

        var payload = new JsonObject { ["type"] = "broadcast", ["event"] = userEvent, ["payload"] = broadcast.Json?.DeepClone() };
        return new PhoenixMessage(joinRef.Length == 0 ? null : joinRef, reference.Length == 0 ? null : reference, topic, "broadcast", payload, broadcast);
    }

    /// <summary>A server message as text: v1 objects carry only topic, event, payload and ref; v2 arrays carry both refs.</summary>
    public static byte[] EncodeText(bool v2, string? joinRef, string? reference, string topic, string eventName, JsonNode? payload)
    {
        JsonNode root = v2
            ? new JsonArray(joinRef, reference, topic, eventName, payload?.DeepClone())
            : new JsonObject { ["topic"] = topic, ["event"] = eventName, ["payload"] = payload?.DeepClone(), ["ref"] = reference };
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>The kind 4 frame realtime-js decodes: kind, topic/event/metadata sizes, encoding, then the strings and the data.</summary>
    public static byte[]? EncodeUserBroadcast(string topic, UserBroadcast broadcast)
    {
        var topicBytes = Encoding.UTF8.GetBytes(topic);
        var eventBytes = Encoding.UTF8.GetBytes(broadcast.Event);
        var metadataBytes = Encoding.UTF8.GetBytes(broadcast.Metadata ?? "");
        if (topicBytes.Length > 255 || eventBytes.Length > 255 || metadataBytes.Length > 255)
        {
            return null;
        }
        var data = broadcast.Binary ?? Encoding.UTF8.GetBytes(broadcast.Json?.ToJsonString() ?? "null");
        var frame = new byte[5 + topicBytes.Length + eventBytes.Length + metadataBytes.Length + data.Length];
        frame[0] = UserBroadcastKind;
        frame[1] = (byte)topicBytes.Length;
        frame[2] = (byte)eventBytes.Length;
        frame[3] = (byte)metadataBytes.Length;
        frame[4] = broadcast.Binary is null ? JsonEncoding : BinaryEncoding;
        var offset = 5;
        foreach (var part in (ReadOnlySpan<byte[]>)[topicBytes, eventBytes, metadataBytes, data])
        {
            part.CopyTo(frame, offset);
            offset += part.Length;
        }
        return frame;
    }

    /// <summary>The JSON form of a broadcast for text receivers (vsn 1.0.0, or v2 when the payload is JSON and no binary is wanted).</summary>
    public static JsonObject BroadcastPayload(UserBroadcast broadcast)
    {
        var payload = new JsonObject { ["type"] = "broadcast", ["event"] = broadcast.Event, ["payload"] = broadcast.Json?.DeepClone() };
        if (broadcast.Metadata is { Length: > 0 } metadata)
        {
            try
            {
                payload["meta"] = JsonNode.Parse(metadata);
            }
            catch (JsonException)
            {
            }
        }
        return payload;
    }

    private static string Take(ReadOnlySpan<byte> frame, ref int offset, int size)
    {
        var text = Encoding.UTF8.GetString(frame.Slice(offset, size));
        offset += size;
        return text;
    }

    private static JsonNode? Detach(JsonObject parent, string name)
    {
        var node = parent[name];
        parent.Remove(name);
        return node;
    }

    /// <summary>True when the node is absent, null or a string.</summary>
    private static bool Str(JsonNode? node, out string? value)
    {
        value = null;
        if (node is null)
        {
            return true;
        }
        return node is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String && scalar.TryGetValue(out value);
    }
}
