using System.Buffers;

namespace Proxy.Realtime;

/// <summary>
/// Assembles one websocket message from its fragments in a buffer rented from <see cref="ArrayPool{T}.Shared"/>.
/// The buffer is rented when data arrives and can be handed back while the socket is idle, so thousands of quiet
/// sockets hold no receive memory; it grows on demand (the caller enforces the size limit).
/// </summary>
internal sealed class PooledMessageBuffer(int chunkSize) : IDisposable
{
    private byte[]? _buffer;
    private int _length;

    public int Length => _length;

    public ReadOnlyMemory<byte> Written => _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, _length);

    /// <summary>Free space of at least one chunk after what was written so far.</summary>
    public Memory<byte> GetMemory()
    {
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        }
        else if (_buffer.Length - _length < chunkSize)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + chunkSize));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        return _buffer.AsMemory(_length);
    }

    public void Advance(int count) => _length += count;

    public void Reset() => _length = 0;

    /// <summary>Hands the (empty) buffer back to the pool while nothing is being received.</summary>
    public void Release()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
        _length = 0;
    }

    public void Dispose() => Release();
}
