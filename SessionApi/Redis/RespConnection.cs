using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;

namespace SessionApi.Redis;

/// <summary>
/// One TCP (optionally TLS) connection speaking RESP2. Commands from many callers are queued, written in
/// batches (pipelining: one flush per batch) and their replies matched in order.
/// </summary>
internal sealed class RespConnection : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly Socket _socket;
    private readonly Channel<PendingCommand> _outgoing = Channel.CreateUnbounded<PendingCommand>(new() { SingleReader = true });
    private readonly Queue<PendingCommand> _inFlight = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;
    private readonly Task _reader;
    private readonly Func<RedisReply, bool>? _onPush;
    private int _failed;

    private RespConnection(Socket socket, Stream stream, Func<RedisReply, bool>? onPush)
    {
        _socket = socket;
        _stream = stream;
        _onPush = onPush;
        _writer = Task.Run(WriteLoopAsync);
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>Raised once when the connection breaks (not when disposed).</summary>
    public event Action<Exception>? Failed;

    public bool IsHealthy => Volatile.Read(ref _failed) == 0;

    public static async Task<RespConnection> OpenAsync(RedisConnectionOptions options, Func<RedisReply, bool>? onPush, CancellationToken ct)
    {
        var (host, port) = options.Primary;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (options.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false, (_, _, _, errors) =>
                    errors == SslPolicyErrors.None || options.AllowUntrustedCertificate);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = options.SslHost ?? host }, timeout.Token);
                stream = ssl;
            }
            var connection = new RespConnection(socket, stream, onPush);
            await connection.HandshakeAsync(options, timeout.Token);
            return connection;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new RedisConnectionException($"Could not connect to Redis at {host}:{port} within {options.ConnectTimeout.TotalMilliseconds} ms.");
        }
        catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException)
        {
            socket.Dispose();
            throw new RedisConnectionException($"Could not connect to Redis at {host}:{port}: {e.Message}", e);
        }
    }

    public Task<RedisReply> SendAsync(string command, IReadOnlyList<RedisArg> args)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        RespWriter.WriteCommand(buffer, command, args);
        var pending = new PendingCommand(buffer.WrittenMemory);
        if (!IsHealthy || !_outgoing.Writer.TryWrite(pending))
        {
            return Task.FromException<RedisReply>(new RedisConnectionException("The Redis connection is closed."));
        }
        return pending.Completion.Task;
    }

    private async Task HandshakeAsync(RedisConnectionOptions options, CancellationToken ct)
    {
        if (options.Password is not null)
        {
            IReadOnlyList<RedisArg> args = options.User is null ? [options.Password] : [options.User, options.Password];
            var auth = await SendAsync("AUTH", args).WaitAsync(ct);
            if (auth.Kind == RedisReplyKind.Error)
            {
                await DisposeAsync();
                throw new RedisConnectionException($"Redis authentication failed for user '{options.User ?? "default"}': {auth.AsString()}");
            }
        }
        if (options.Database != 0)
        {
            var select = await SendAsync("SELECT", [options.Database]).WaitAsync(ct);
            if (select.Kind == RedisReplyKind.Error)
            {
                await DisposeAsync();
                throw new RedisConnectionException($"Redis refused database {options.Database}: {select.AsString()}");
            }
        }
        if (options.ClientName is not null)
        {
            await SendAsync("CLIENT", ["SETNAME", options.ClientName]).WaitAsync(ct);
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                while (reader.TryRead(out var pending))
                {
                    lock (_inFlight)
                    {
                        _inFlight.Enqueue(pending);
                    }
                    await _stream.WriteAsync(pending.Payload, _stop.Token);
                }
                await _stream.FlushAsync(_stop.Token);
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private async Task ReadLoopAsync()
    {
        var reader = new RespReader(_stream);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var reply = await reader.ReadAsync(_stop.Token);
                if (_onPush is not null && _onPush(reply))
                {
                    continue;
                }
                PendingCommand? pending;
                lock (_inFlight)
                {
                    _inFlight.TryDequeue(out pending);
                }
                pending?.Completion.TrySetResult(reply);
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private void Fail(Exception e)
    {
        if (Interlocked.Exchange(ref _failed, 1) != 0)
        {
            return;
        }
        var error = e as RedisConnectionException ?? new RedisConnectionException("The Redis connection was lost: " + e.Message, e);
        _outgoing.Writer.TryComplete();
        lock (_inFlight)
        {
            while (_inFlight.TryDequeue(out var pending))
            {
                pending.Completion.TrySetException(error);
            }
        }
        while (_outgoing.Reader.TryRead(out var queued))
        {
            queued.Completion.TrySetException(error);
        }
        if (!_stop.IsCancellationRequested)
        {
            Failed?.Invoke(error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        _stop.Cancel();
        Fail(new RedisConnectionException("The Redis connection was closed."));
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        await _stream.DisposeAsync();
        await Task.WhenAll(_writer, _reader).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private sealed class PendingCommand(ReadOnlyMemory<byte> payload)
    {
        public ReadOnlyMemory<byte> Payload { get; } = payload;
        public TaskCompletionSource<RedisReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
