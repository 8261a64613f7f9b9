using System.Buffers;
using System.Globalization;
using System.Text;

namespace SessionApi.Redis;

/// <summary>RESP2 encoding of commands and decoding of replies over a buffered stream.</summary>
internal sealed class RespReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    public async ValueTask<RedisReply> ReadAsync(CancellationToken ct)
    {
        var line = await ReadLineAsync(ct);
        if (line.Length == 0)
        {
            throw new RedisConnectionException("Redis sent an empty line: protocol error.");
        }
        var prefix = (char)line[0];
        var text = Encoding.UTF8.GetString(line, 1, line.Length - 1);
        switch (prefix)
        {
            case '+':
                return RedisReply.Simple(text);
            case '-':
                return RedisReply.Error(text);
            case ':':
                return RedisReply.Int(long.Parse(text, CultureInfo.InvariantCulture));
            case '$':
                var length = int.Parse(text, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return RedisReply.Nil;
                }
                var data = new byte[length];
                await ReadExactAsync(data, ct);
                await ReadExactAsync(new byte[2], ct); // CRLF
                return RedisReply.Bulk(data);
            case '*':
                var count = int.Parse(text, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return RedisReply.Nil;
                }
                var items = new RedisReply[count];
                for (var i = 0; i < count; i++)
                {
                    items[i] = await ReadAsync(ct);
                }
                return RedisReply.Array(items);
            default:
                throw new RedisConnectionException($"Redis sent an unexpected reply type '{prefix}': protocol error.");
        }
    }

    private async ValueTask<byte[]> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var lf = span.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = span[..Math.Max(0, lf - 1)].ToArray();
                _start += lf + 1;
                return line;
            }
            await FillAsync(ct);
        }
    }

    private async ValueTask ReadExactAsync(byte[] target, CancellationToken ct)
    {
        var copied = 0;
        while (copied < target.Length)
        {
            if (_start == _end)
            {
                await FillAsync(ct);
            }
            var n = Math.Min(_end - _start, target.Length - copied);
            Buffer.BlockCopy(_buffer, _start, target, copied, n);
            _start += n;
            copied += n;
        }
    }

    private async ValueTask FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            throw new RedisConnectionException("A Redis reply line exceeded 16 KiB: protocol error.");
        }
        var read = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
        if (read == 0)
        {
            throw new RedisConnectionException("Redis closed the connection.");
        }
        _end += read;
    }
}

internal static class RespWriter
{
    /// <summary>Writes "*n\r\n$len\r\narg\r\n..." into the buffer writer.</summary>
    public static void WriteCommand(IBufferWriter<byte> writer, string command, IReadOnlyList<RedisArg> args)
    {
        WriteHeader(writer, '*', args.Count + 1);
        WriteBulk(writer, Encoding.UTF8.GetBytes(command));
        foreach (var arg in args)
        {
            WriteBulk(writer, arg.Value.Span);
        }
    }

    private static void WriteBulk(IBufferWriter<byte> writer, ReadOnlySpan<byte> value)
    {
        WriteHeader(writer, '$', value.Length);
        writer.Write(value);
        writer.Write("\r\n"u8);
    }

    private static void WriteHeader(IBufferWriter<byte> writer, char prefix, int number)
    {
        var span = writer.GetSpan(16);
        span[0] = (byte)prefix;
        number.TryFormat(span[1..], out var written, provider: CultureInfo.InvariantCulture);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        writer.Advance(written + 3);
    }
}
