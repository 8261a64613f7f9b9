namespace AppHost;

internal static class RedisPersistenceExtensions
{
    // The same as the test fixture (Tests/TestSupport/RedisServer.cs): every acknowledged write is on disk, so a
    // killed Redis comes back with every session it confirmed. RDB snapshots alone lose up to an interval of sign-ins.
    private static readonly string[] AppendOnly = ["--appendonly", "yes", "--appendfsync", "always"];

    /// <summary>
    /// Append-only persistence for Aspire's Redis. AddRedis starts redis-server through `/bin/sh -c`: in run mode
    /// its options are separate arguments (joined into the `-c` string later), in publish mode they are already one
    /// string after "-c", where extra arguments appended after it would be ignored by the shell.
    /// </summary>
    public static IResourceBuilder<RedisResource> WithAppendOnlyPersistence(this IResourceBuilder<RedisResource> redis) =>
        redis.WithArgs(context =>
        {
            var shell = context.Args.IndexOf("-c");
            if (shell >= 0 && shell + 1 < context.Args.Count && context.Args[shell + 1] is string command)
            {
                context.Args[shell + 1] = command + " " + string.Join(' ', AppendOnly);
                return;
            }
            foreach (var arg in AppendOnly)
            {
                context.Args.Add(arg);
            }
        });
}
