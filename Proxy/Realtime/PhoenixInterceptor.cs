namespace Proxy.Realtime;

/// <summary>
/// The Phoenix side of a relayed socket: decides for each complete text message whether it is forwarded as it is
/// (almost all: a byte search answers without parsing or copying), forwarded rewritten (a client's <c>phx_join</c> /
/// <c>access_token</c> gets the session's token) or dropped; and keeps the joined topics the token rotator pushes to.
/// </summary>
internal sealed class PhoenixInterceptor(RelayToken token, RealtimeTelemetry telemetry, ILogger logger)
{
    private RelayToken _token = token;

    /// <summary>The channels the client has joined.</summary>
    public JoinedTopics Topics { get; } = new();

    /// <summary>The token joins are rewritten with (swapped by the rotator).</summary>
    public RelayToken Token
    {
        get => Volatile.Read(ref _token);
        set => Volatile.Write(ref _token, value);
    }

    /// <summary>
    /// A client text message. Called under the upstream send lock so a rotation cannot slip between reading the
    /// token and sending the join: either the join carries the new token or the rotation sees the topic.
    /// </summary>
    /// <returns>False when the message must not reach Realtime; else what to send (the message itself unless rewritten).</returns>
    public bool FromClient(ReadOnlyMemory<byte> message, out ReadOnlyMemory<byte> forward)
    {
        forward = message;
        var decision = PhoenixFrames.InspectClientMessage(message.Span, Token.AccessToken);
        if (decision.Drop)
        {
            RealtimeLog.DroppedAmbiguousMessage(logger);
            return false;
        }
        if (decision.Envelope is { } envelope)
        {
            if (envelope.Event == PhoenixFrames.JoinEvent)
            {
                Topics.Joined(envelope.Topic, envelope.JoinRef ?? envelope.Ref);
            }
            else if (envelope.Event == PhoenixFrames.LeaveEvent)
            {
                Topics.Left(envelope.Topic);
            }
            if (decision.Rewritten is { } rewritten)
            {
                telemetry.TokenRewritten(envelope.Event);
                forward = rewritten;
            }
        }
        return true;
    }

    /// <summary>A server text message: closes and refused joins untrack topics; answers to the relay's own pushes are dropped.</summary>
    public bool FromServer(ReadOnlySpan<byte> message)
    {
        var decision = PhoenixFrames.InspectServerMessage(message);
        if (decision.Drop)
        {
            return false; // Realtime's answer to one of our own access_token pushes
        }
        if (decision.Envelope is { Event: PhoenixFrames.CloseEvent } closed)
        {
            Topics.Ended(closed.Topic, closed.JoinRef ?? closed.Ref);
        }
        else if (decision is { JoinRefused: true, Envelope: { } refused })
        {
            Topics.JoinRefused(refused.Topic, refused.Ref);
        }
        return true;
    }
}
