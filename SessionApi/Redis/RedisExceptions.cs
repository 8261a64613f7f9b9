namespace SessionApi.Redis;

/// <summary>Redis answered with an error reply ("-ERR ...", "-WRONGPASS ...").</summary>
public sealed class RedisServerException(string message) : Exception(message);

/// <summary>Redis cannot be reached, the connection dropped, or a command timed out. Callers fail closed.</summary>
public sealed class RedisConnectionException(string message, Exception? inner = null) : Exception(message, inner);
