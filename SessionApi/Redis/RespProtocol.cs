using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace SessionApi.Redis;

/// <summary>Decodes RESP2 replies from a stream through one reusable read buffer.</summary>
internal sealed class RespReader(Stream stream)
{
    private const int MaxLine = 64 * 1024;
    private readonly byte[] _buffer = new byte[MaxLine];
    private int _start;
    private int _end;

    public async ValueTask<RedisReply> ReadAsync(CancellationToken ct)
    {
        var (prefix, number, text) = await ReadHeaderAsync(ct);
        switch (prefix)
        {
            case (byte)'+':
                return RedisReply.Simple(text!);
            case (byte)'-':
                return RedisReply.Error(text!);
            case (byte)':':
                return RedisReply.Int(number);
            case (byte)'$':
                if (number < 0)
                {
                    return RedisReply.Nil;
                }
                var data = new byte[checked((int)number)];
                await ReadExactAsync(data, ct);
                await SkipCrLfAsync(ct);
                return RedisReply.Bulk(data);
            default: // '*'
                if (number < 0)
                {
                    return RedisReply.Nil;
                }
                var items = new RedisReply[checked((int)number)];
                for (var i = 0; i < items.Length; i++)
                {
                    items[i] = await ReadAsync(ct);
                }
                return RedisReply.Array(items);
        }
    }

    /// <summary>Reads one "&lt;prefix&gt;&lt;payload&gt;\r\n" line: numbers are parsed in place, strings decoded.</summary>
    private async ValueTask<(byte Prefix, long Number, string? Text)> ReadHeaderAsync(CancellationToken ct)
    {
        while (true)
        {
            var available = _buffer.AsSpan(_start, _end - _start);
            var lf = available.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = available[..lf].TrimEnd((byte)'\r');
                _start += lf + 1;
                if (line.IsEmpty)
                {
                    throw new RedisConnectionException("Redis sent an empty line (protocol error).");
                }
                var prefix = line[0];
                var payload = line[1..];
                switch (prefix)
                {
                    case (byte)'+' or (byte)'-':
                        return (prefix, 0, Encoding.UTF8.GetString(payload));
                    case (byte)':' or (byte)'$' or (byte)'*':
                        if (!Utf8Parser.TryParse(payload, out long number, out var consumed) || consumed != payload.Length)
                        {
                            throw new RedisConnectionException($"Redis sent a malformed length '{Encoding.ASCII.GetString(payload)}' (protocol error).");
                        }
                        return (prefix, number, null);
                    default:
                        throw new RedisConnectionException($"Redis sent an unexpected reply type '{(char)prefix}' (protocol error; is this a Redis server?).");
                }
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

    private async ValueTask SkipCrLfAsync(CancellationToken ct)
    {
        while (_end - _start < 2)
        {
            await FillAsync(ct);
        }
        _start += 2;
    }

    private async ValueTask FillAsync(CancellationToken ct)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            throw new RedisConnectionException($"A Redis reply line exceeded {MaxLine / 1024} KiB (protocol error).");
        }
        var read = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
        if (read == 0)
        {
            throw new RedisConnectionException("Redis closed the connection.");
        }
        _end += read;
    }
}

/// <summary>Encodes commands as RESP2 arrays of bulk strings ("*n\r\n$len\r\narg\r\n...").</summary>
internal static class RespWriter
{
    /// <summary>Encodes into a buffer rented from <see cref="ArrayPool{T}.Shared"/>; the caller returns it.</summary>
    public static ArraySegment<byte> Encode(string command, IReadOnlyList<RedisArg> args)
    {
        var commandLength = Encoding.UTF8.GetByteCount(command);
        var size = HeaderSize(args.Count + 1) + HeaderSize(commandLength) + commandLength + 2;
        for (var i = 0; i < args.Count; i++)
        {
            var length = args[i].Value.Length;
            size += HeaderSize(length) + length + 2;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var span = buffer.AsSpan();
        var at = WriteHeader(span, (byte)'*', args.Count + 1);
        at += WriteHeader(span[at..], (byte)'$', commandLength);
        at += Encoding.UTF8.GetBytes(command, span[at..]);
        at += WriteCrLf(span[at..]);
        for (var i = 0; i < args.Count; i++)
        {
            var value = args[i].Value.Span;
            at += WriteHeader(span[at..], (byte)'$', value.Length);
            value.CopyTo(span[at..]);
            at += value.Length;
            at += WriteCrLf(span[at..]);
        }
        return new ArraySegment<byte>(buffer, 0, at);
    }

    private static int HeaderSize(int number) => 1 + Digits(number) + 2;

    private static int Digits(int number)
    {
        var digits = 1;
        while (number >= 10)
        {
            number /= 10;
            digits++;
        }
        return digits;
    }

    private static int WriteHeader(Span<byte> span, byte prefix, int number)
    {
        span[0] = prefix;
        Utf8Formatter.TryFormat(number, span[1..], out var written);
        return 1 + written + WriteCrLf(span[(1 + written)..]);
    }

    private static int WriteCrLf(Span<byte> span)
    {
        span[0] = (byte)'\r';
        span[1] = (byte)'\n';
        return 2;
    }
}
