namespace SessionApi.Redis;

/// <summary>Redis answered with an error reply ("-ERR ...", "-WRONGTYPE ..."). The connection is fine.</summary>
public sealed class RedisServerException(string message) : Exception(message);

/// <summary>Redis cannot be reached, refused the handshake (AUTH, SELECT), or the connection dropped while a command
/// was in flight. Callers fail closed.</summary>
public class RedisConnectionException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>No reply within the command timeout (asyncTimeout). The command may still run on the server.</summary>
public sealed class RedisTimeoutException(string message)
    : RedisConnectionException(message, new TimeoutException(message));
