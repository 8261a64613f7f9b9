using System.Buffers;

namespace Proxy.Realtime;

/// <summary>
/// Assembles one websocket message from its fragments in a buffer rented from <see cref="ArrayPool{T}.Shared"/>;
/// grows on demand (the caller enforces the size limit) and is reused for the next message.
/// </summary>
internal sealed class PooledMessageBuffer(int initialSize) : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(initialSize);
    private int _length;

    public int Length => _length;

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    /// <summary>Free space of at least <paramref name="sizeHint"/> bytes after what was written so far.</summary>
    public Memory<byte> GetMemory(int sizeHint)
    {
        if (_buffer.Length - _length < sizeHint)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + sizeHint));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        return _buffer.AsMemory(_length);
    }

    public void Advance(int count) => _length += count;

    public void Reset() => _length = 0;

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
    }
}
