using System.Net.Sockets;
using System.Text;

namespace Gateway.Bench.Stack;

/// <summary>Sends a few CONFIG commands to redis-server (RESP over a plain socket; the bench has no Redis client).</summary>
public static class RedisConfig
{
    /// <summary>
    /// The test fixture and the AppHost fsync an append-only file on every write; by default the benchmark keeps only
    /// snapshots (<c>save 1 1</c>) so its figures show the gateway's own cost rather than the disk's
    /// (<c>--redis-fsync-always</c> measures with the durable setting).
    /// </summary>
    public static async Task UseSnapshotsOnlyAsync(int port, CancellationToken ct = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, ct);
        var stream = client.GetStream();
        foreach (var command in new[] { new[] { "CONFIG", "SET", "appendonly", "no" }, ["CONFIG", "SET", "save", "1 1"] })
        {
            var request = new StringBuilder().Append('*').Append(command.Length).Append("\r\n");
            foreach (var part in command)
            {
                request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
            }
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), ct);
            var buffer = new byte[256];
            var read = await stream.ReadAsync(buffer, ct);
            var reply = Encoding.UTF8.GetString(buffer, 0, read);
            if (!reply.StartsWith("+OK", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"redis-server refused {string.Join(' ', command)}: {reply.Trim()}");
            }
        }
    }
}
