namespace Proxy.Realtime;

/// <summary>The relay's log lines (debug level: a websocket's life is routine, not news).</summary>
internal static partial class RealtimeLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Realtime upgrade refused: {Reason}")]
    public static partial void UpgradeRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Realtime socket relayed to {Upstream} (vsn {Vsn}, session {SessionId})")]
    public static partial void Relaying(ILogger logger, string upstream, string vsn, string? sessionId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Session lookup for a realtime upgrade failed")]
    public static partial void SessionLookupFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Realtime refused the upstream connection")]
    public static partial void UpstreamFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Realtime socket closing: {Status} {Reason}")]
    public static partial void Closing(ILogger logger, int status, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Realtime socket pump ended ({Direction})")]
    public static partial void PumpFailed(ILogger logger, string direction, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Realtime token rotated for {Topics} joined topic(s)")]
    public static partial void Rotated(ILogger logger, int topics);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Realtime token rotation failed")]
    public static partial void RotationFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropped a client message with duplicate JSON keys on a token-carrying event")]
    public static partial void DroppedAmbiguousMessage(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Realtime socket closed after {Milliseconds} ms")]
    public static partial void Closed(ILogger logger, long milliseconds);
}
