using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Proxy.Realtime;

/// <summary>The two Phoenix text serializers Realtime speaks (docs/supabase-contract.md §4.2).</summary>
public enum PhoenixSerializer
{
    /// <summary>vsn 1.0.0: every message is a JSON object <c>{topic, event, payload, ref, join_ref}</c>.</summary>
    V1,
    /// <summary>vsn 2.0.0: text messages are JSON arrays <c>[join_ref, ref, topic, event, payload]</c> (binary frames are separate).</summary>
    V2,
}

/// <summary>The envelope of a Phoenix text message (the payload is not kept).</summary>
public sealed record PhoenixEnvelope(PhoenixSerializer Serializer, string? JoinRef, string? Ref, string Topic, string Event);

/// <summary>What the relay does with one client text message.</summary>
/// <param name="Drop">The message is well-formed JSON the relay cannot rewrite safely (duplicate keys, extreme nesting): it is not forwarded.</param>
public readonly record struct ClientFrameDecision(PhoenixEnvelope? Envelope, byte[]? Rewritten, bool Drop = false)
{
    public static ClientFrameDecision PassThrough => default;
}

/// <summary>What the relay does with one server text message.</summary>
public readonly record struct ServerFrameDecision(PhoenixEnvelope? Envelope, bool Drop, bool JoinRefused)
{
    public static ServerFrameDecision PassThrough => default;
}

/// <summary>
/// Reads and rewrites Phoenix text messages. Only the few events the relay acts on are parsed (a byte search
/// decides first); everything else, including malformed JSON, is left untouched so it passes byte for byte.
/// </summary>
public static class PhoenixFrames
{
    public const string JoinEvent = "phx_join";
    public const string LeaveEvent = "phx_leave";
    public const string CloseEvent = "phx_close";
    public const string ReplyEvent = "phx_reply";
    public const string AccessTokenEvent = "access_token";

    /// <summary>Refs of messages the relay itself sends upstream start with this, so they never collide with the client's.</summary>
    public const string GatewayRefPrefix = "gw-";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Keep the client's text as it was (no \uXXXX escaping of non-ASCII) apart from the token we replace.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonDocumentOptions StrictDocument = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    private static ReadOnlySpan<byte> QuotedJoin => "\"phx_join\""u8;
    private static ReadOnlySpan<byte> QuotedLeave => "\"phx_leave\""u8;
    private static ReadOnlySpan<byte> QuotedAccessToken => "\"access_token\""u8;
    private static ReadOnlySpan<byte> QuotedClose => "\"phx_close\""u8;
    private static ReadOnlySpan<byte> QuotedReply => "\"phx_reply\""u8;
    private static ReadOnlySpan<byte> QuotedError => "\"error\""u8;
    private static ReadOnlySpan<byte> QuotedGatewayRef => "\"gw-"u8;

    /// <summary>
    /// A client message: <c>phx_join</c> and <c>access_token</c> get <paramref name="accessToken"/> as
    /// <c>payload.access_token</c> (and lose any <c>user_token</c>); <c>phx_leave</c> is reported for topic tracking.
    /// </summary>
    public static ClientFrameDecision InspectClientMessage(ReadOnlySpan<byte> utf8, string accessToken)
    {
        // An escaped character could hide an event name from the byte search, so such messages are always parsed.
        var mayMatter = utf8.IndexOf(QuotedJoin) >= 0 || utf8.IndexOf(QuotedAccessToken) >= 0 ||
            utf8.IndexOf(QuotedLeave) >= 0 || utf8.IndexOf((byte)'\\') >= 0;
        if (!mayMatter)
        {
            return ClientFrameDecision.PassThrough;
        }
        if (!TryParse(utf8, out var root, out var envelope, out var wellFormedButRefused))
        {
            // Valid JSON we refuse to parse (duplicate keys, which Realtime resolves to the last one, or very deep
            // nesting) may be a join Realtime accepts: it must not reach it with the client's own token. Anything
            // else that fails to parse is passed on (Realtime rejects it itself).
            return wellFormedButRefused ? new ClientFrameDecision(null, null, Drop: true) : ClientFrameDecision.PassThrough;
        }

        if (envelope.Event is not (JoinEvent or AccessTokenEvent))
        {
            return new ClientFrameDecision(envelope, null);
        }

        var payloadHolder = envelope.Serializer == PhoenixSerializer.V1 ? root["payload"] : root[4];
        if (payloadHolder is JsonObject payload)
        {
            payload["access_token"] = accessToken;
            payload.Remove("user_token");
        }
        else
        {
            var replacement = new JsonObject { ["access_token"] = accessToken };
            if (envelope.Serializer == PhoenixSerializer.V1)
            {
                root.AsObject()["payload"] = replacement;
            }
            else
            {
                root.AsArray()[4] = replacement;
            }
        }

        return new ClientFrameDecision(envelope, Serialize(root));
    }

    /// <summary>
    /// A server message: <c>phx_close</c> ends a topic, an error reply to a join means it never started, and replies
    /// to the relay's own pushes (refs starting with <see cref="GatewayRefPrefix"/>) are dropped: the client never sent them.
    /// </summary>
    public static ServerFrameDecision InspectServerMessage(ReadOnlySpan<byte> utf8)
    {
        // Unlike client text, Realtime's own envelope fields are never escaped (its encoder escapes only quotes,
        // backslashes and control characters, none of which are in these names or in our "gw-" refs), so the byte
        // search alone decides: a broadcast whose payload holds escapes passes without a parse.
        var mayMatter = utf8.IndexOf(QuotedClose) >= 0 || utf8.IndexOf(QuotedGatewayRef) >= 0 ||
            (utf8.IndexOf(QuotedReply) >= 0 && utf8.IndexOf(QuotedError) >= 0);
        if (!mayMatter || !TryParse(utf8, out var root, out var envelope, out _))
        {
            return ServerFrameDecision.PassThrough;
        }

        if (envelope.Ref is { } reference && reference.StartsWith(GatewayRefPrefix, StringComparison.Ordinal))
        {
            return new ServerFrameDecision(envelope, Drop: true, JoinRefused: false);
        }

        var joinRefused = false;
        if (envelope.Event == ReplyEvent)
        {
            var payload = envelope.Serializer == PhoenixSerializer.V1 ? root["payload"] : root[4];
            joinRefused = payload is JsonObject reply && reply["status"] is JsonValue status &&
                status.TryGetValue<string>(out var text) && text == "error";
        }
        return new ServerFrameDecision(envelope, Drop: false, joinRefused);
    }

    /// <summary>The <c>access_token</c> message the relay pushes for a joined topic when it rotates the token.</summary>
    public static byte[] AccessTokenMessage(PhoenixSerializer serializer, string topic, string? joinRef, string reference, string accessToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + accessToken.Length);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            if (serializer == PhoenixSerializer.V1)
            {
                writer.WriteStartObject();
                writer.WriteString("topic", topic);
                writer.WriteString("event", AccessTokenEvent);
                writer.WriteStartObject("payload");
                writer.WriteString("access_token", accessToken);
                writer.WriteEndObject();
                writer.WriteString("ref", reference);
                writer.WriteString("join_ref", joinRef);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteStartArray();
                writer.WriteStringValue(joinRef);
                writer.WriteStringValue(reference);
                writer.WriteStringValue(topic);
                writer.WriteStringValue(AccessTokenEvent);
                writer.WriteStartObject();
                writer.WriteString("access_token", accessToken);
                writer.WriteEndObject();
                writer.WriteEndArray();
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The serializer a socket negotiated with its <c>vsn</c> query parameter (absent means 1.0.0).</summary>
    public static PhoenixSerializer FromVsn(string? vsn) =>
        vsn is not null && vsn.StartsWith("2.", StringComparison.Ordinal) ? PhoenixSerializer.V2 : PhoenixSerializer.V1;

    private static bool TryParse(ReadOnlySpan<byte> utf8, out JsonNode root, out PhoenixEnvelope envelope, out bool wellFormedButRefused)
    {
        root = null!;
        envelope = null!;
        wellFormedButRefused = false;
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(utf8, documentOptions: StrictDocument);
        }
        catch (JsonException)
        {
            wellFormedButRefused = IsWellFormed(utf8);
            return false;
        }

        switch (parsed)
        {
            case JsonObject message
                when Text(message["topic"], out var topic) && topic is not null &&
                     Text(message["event"], out var name) && name is not null &&
                     Ref(message["ref"], out var reference) && Ref(message["join_ref"], out var joinRef):
                root = message;
                envelope = new PhoenixEnvelope(PhoenixSerializer.V1, joinRef, reference, topic, name);
                return true;
            // Realtime's V2 serializer reads the first five elements and ignores any after them.
            case JsonArray { Count: >= 5 } message
                when Ref(message[0], out var joinRef) && Ref(message[1], out var reference) &&
                     Text(message[2], out var topic) && topic is not null &&
                     Text(message[3], out var name) && name is not null:
                root = message;
                envelope = new PhoenixEnvelope(PhoenixSerializer.V2, joinRef, reference, topic, name);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Called after the strict parse failed: well-formed here means it failed on a duplicate property or on nesting
    /// deeper than we parse (Realtime's parser has no such limit). Depth cannot exceed the length, so no limit is hit here.
    /// </summary>
    private static bool IsWellFormed(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = Math.Max(64, utf8.Length) });
        try
        {
            while (reader.Read())
            {
            }
            return reader.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>True when the node is absent, null or a string (topics and event names are strings).</summary>
    private static bool Text(JsonNode? node, out string? value)
    {
        value = null;
        if (node is null)
        {
            return true;
        }
        return node is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String && scalar.TryGetValue(out value);
    }

    /// <summary>
    /// Always true: clients send refs as strings, but Realtime's serializers take any JSON value there (a number, an
    /// object), so a frame is never left unread because of its ref. A ref that is not a string is kept as its JSON text.
    /// </summary>
    private static bool Ref(JsonNode? node, out string? value)
    {
        if (Text(node, out value))
        {
            return true;
        }
        value = node!.ToJsonString();
        return true;
    }

    private static byte[] Serialize(JsonNode root)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            root.WriteTo(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
