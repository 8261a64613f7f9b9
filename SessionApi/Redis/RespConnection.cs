using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;

namespace SessionApi.Redis;

/// <summary>
/// One TCP (optionally TLS) connection speaking RESP2. Callers enqueue encoded commands; a single writer drains
/// the queue into one buffer and writes it with one write + flush per batch (pipelining), and a single reader
/// matches replies to commands in FIFO order. When the connection breaks every queued and in-flight command
/// fails with <see cref="RedisConnectionException"/>.
/// </summary>
internal sealed class RespConnection : IAsyncDisposable
{
    private const int MaxBatchBytes = 64 * 1024;
    private readonly Stream _stream;
    private readonly Socket _socket;
    private readonly Channel<PendingCommand> _outgoing = Channel.CreateUnbounded<PendingCommand>(new() { SingleReader = true });
    private readonly Queue<PendingCommand> _inFlight = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<RedisReply, bool>? _onPush;
    private readonly Task _writer;
    private readonly Task _reader;
    private int _failed;

    private RespConnection(Socket socket, Stream stream, string endpoint, Func<RedisReply, bool>? onPush)
    {
        _socket = socket;
        _stream = stream;
        _onPush = onPush;
        Endpoint = endpoint;
        _writer = Task.Run(WriteLoopAsync);
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>Raised once when the connection breaks (not when it is disposed).</summary>
    public event Action<RedisConnectionException>? Failed;

    public bool IsHealthy => Volatile.Read(ref _failed) == 0;

    /// <summary>"host:port" this connection talks to.</summary>
    public string Endpoint { get; }

    /// <summary>Connects to the first endpoint that accepts TCP, TLS and the handshake (AUTH, SELECT, CLIENT SETNAME).
    /// <paramref name="onPush"/> sees every reply first (pub/sub messages) and returns true to consume it.</summary>
    public static async Task<RespConnection> OpenAsync(RedisConnectionOptions options, Func<RedisReply, bool>? onPush, CancellationToken ct)
    {
        RedisConnectionException? last = null;
        foreach (var (host, port) in options.Endpoints)
        {
            try
            {
                return await OpenAsync(options, host, port, onPush, ct);
            }
            catch (RedisAuthenticationFailedException)
            {
                throw; // the same credentials will not work on the next endpoint either
            }
            catch (RedisConnectionException e)
            {
                last = e;
            }
        }
        throw last!;
    }

    private static async Task<RespConnection> OpenAsync(RedisConnectionOptions options, string host, int port, Func<RedisReply, bool>? onPush, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        RespConnection? connection = null;
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (options.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsClientAsync(TlsOptions(options, host), timeout.Token);
                stream = ssl;
            }
            connection = new RespConnection(socket, stream, $"{host}:{port}", onPush);
            await connection.HandshakeAsync(options, timeout.Token);
            return connection;
        }
        catch (Exception e)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
            socket.Dispose();
            throw e switch
            {
                RedisConnectionException known => known,
                OperationCanceledException when !ct.IsCancellationRequested =>
                    new RedisConnectionException($"Could not connect to Redis at {host}:{port} within {options.ConnectTimeout.TotalMilliseconds:0} ms (connectTimeout)."),
                AuthenticationException => new RedisConnectionException(
                    $"TLS handshake with Redis at {host}:{port} failed: {e.Message} " +
                    "(trust the server certificate's CA via Redis:CaCertificatePath, or in Development Redis:TrustDevCertificate/AllowUntrustedCertificate).", e),
                SocketException or IOException => new RedisConnectionException($"Could not connect to Redis at {host}:{port}: {e.Message}", e),
                _ => e,
            };
        }
    }

    private static SslClientAuthenticationOptions TlsOptions(RedisConnectionOptions options, string host)
    {
        var tls = new SslClientAuthenticationOptions { TargetHost = options.SslHost ?? host };
        if (options.CaCertificatePath is { } caPath)
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(caPath);
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(authorities);
            tls.CertificateChainPolicy = policy;
        }
        if (options.AllowUntrustedCertificate || options.TrustDevCertificate)
        {
            tls.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None
                || options.AllowUntrustedCertificate
                || (errors == SslPolicyErrors.RemoteCertificateChainErrors && IsUsableDevCertificate(certificate));
        }
        return tls;
    }

    /// <summary>The ASP.NET Core HTTPS development certificate carries this private extension (what `dotnet dev-certs` looks for).</summary>
    private const string AspNetDevCertificateOid = "1.3.6.1.4.1.311.84.1.1";

    private static bool IsUsableDevCertificate(X509Certificate? certificate) =>
        certificate is X509Certificate2 cert
        && cert.Extensions.Any(extension => extension.Oid?.Value == AspNetDevCertificateOid)
        && cert.NotBefore <= DateTime.Now && DateTime.Now <= cert.NotAfter;

    /// <summary>Queues a command. The returned task completes with the reply (errors included: the caller decides)
    /// or fails with <see cref="RedisConnectionException"/> when the connection breaks first.</summary>
    public Task<RedisReply> SendAsync(string command, IReadOnlyList<RedisArg> args)
    {
        var pending = new PendingCommand(RespWriter.Encode(command, args));
        if (!IsHealthy || !_outgoing.Writer.TryWrite(pending))
        {
            pending.ReturnBuffer();
            return Task.FromException<RedisReply>(new RedisConnectionException($"The connection to Redis at {Endpoint} is closed."));
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
                throw new RedisAuthenticationFailedException($"Redis authentication failed for user '{options.User ?? "default"}': {auth.AsString()}");
            }
        }
        if (options.Database != 0)
        {
            var select = await SendAsync("SELECT", [options.Database]).WaitAsync(ct);
            if (select.Kind == RedisReplyKind.Error)
            {
                throw new RedisConnectionException($"Redis at {Endpoint} refused database {options.Database} (defaultDatabase): {select.AsString()}");
            }
        }
        if (options.ClientName is not null)
        {
            var name = await SendAsync("CLIENT", ["SETNAME", options.ClientName]).WaitAsync(ct);
            if (name.Kind == RedisReplyKind.Error)
            {
                throw new RedisConnectionException($"Redis at {Endpoint} refused client name '{options.ClientName}' (name): {name.AsString()}");
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _outgoing.Reader;
        var batch = new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                // Drain what is queued into one buffer: one write (one TLS record run, one syscall) for many commands.
                while (batch.WrittenCount < MaxBatchBytes && reader.TryRead(out var pending))
                {
                    lock (_inFlight)
                    {
                        _inFlight.Enqueue(pending); // before the bytes leave: the reply may come back at once
                    }
                    batch.Write(pending.Payload);
                    pending.ReturnBuffer();
                }
                await _stream.WriteAsync(batch.WrittenMemory, _stop.Token);
                await _stream.FlushAsync(_stop.Token);
                if (batch.Capacity > 4 * MaxBatchBytes)
                {
                    batch = new ArrayBufferWriter<byte>(16 * 1024); // a large value passed through: do not keep its buffer
                }
                else
                {
                    batch.ResetWrittenCount();
                }
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
        var error = e as RedisConnectionException
            ?? new RedisConnectionException($"The connection to Redis at {Endpoint} was lost: {e.Message}", e);
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
            queued.ReturnBuffer();
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
        Fail(new RedisConnectionException($"The connection to Redis at {Endpoint} was closed."));
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        await _stream.DisposeAsync();
        await Task.WhenAll(_writer, _reader).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private sealed class PendingCommand(ArraySegment<byte> payload)
    {
        private byte[]? _rented = payload.Array;

        public ReadOnlySpan<byte> Payload => payload.AsSpan();

        public TaskCompletionSource<RedisReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void ReturnBuffer()
        {
            if (Interlocked.Exchange(ref _rented, null) is { } buffer)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}

/// <summary>The server refused AUTH: retrying other endpoints or reconnecting quickly will not help.</summary>
internal sealed class RedisAuthenticationFailedException(string message) : RedisConnectionException(message);
