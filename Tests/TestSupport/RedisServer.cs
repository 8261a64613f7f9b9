using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace TestSupport;

public sealed record RedisServerOptions
{
    /// <summary>requirepass for the default user.</summary>
    public string? Password { get; init; }

    /// <summary>An extra ACL user with all permissions.</summary>
    public (string User, string Password)? AclUser { get; init; }

    /// <summary>Serve TLS only, with a fresh self-signed certificate for "localhost" (see <see cref="RedisServer.CertificatePath"/>).</summary>
    public bool Tls { get; init; }

    /// <summary>With <see cref="Tls"/>: mark the certificate like the ASP.NET Core development certificate (the one Aspire's local Redis uses).</summary>
    public bool TlsLooksLikeAspNetDevCertificate { get; init; }

    /// <summary>More redis-server arguments, e.g. the cluster settings of <see cref="RedisCluster"/>.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}

/// <summary>
/// A real redis-server on a free loopback port with its own data directory. Append-only persistence with fsync on
/// every write, so what was written survives <see cref="StopAsync"/> + <see cref="StartAgainAsync"/> (same port, same dir).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const string AspNetDevCertificateOid = "1.3.6.1.4.1.311.84.1.1";
    private readonly RedisServerOptions _options;
    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private RedisServer(RedisServerOptions options)
    {
        _options = options;
        Port = FreePort.Next();
        _directory = Directory.CreateTempSubdirectory("redis-test-").FullName;
        if (options.Tls)
        {
            WriteSelfSignedCertificate(options.TlsLooksLikeAspNetDevCertificate);
        }
    }

    public int Port { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>StackExchange.Redis-format connection string, like Aspire injects.</summary>
    public string ConnectionString =>
        $"127.0.0.1:{Port}" + (_options.Password is null ? "" : $",password={_options.Password}") + (_options.Tls ? ",ssl=true,sslHost=localhost" : "");

    /// <summary>With TLS: the server's self-signed certificate (PEM), which is also its own CA.</summary>
    public string CertificatePath => Path.Combine(_directory, "cert.pem");

    /// <summary>The last lines redis-server printed (for failure messages).</summary>
    public string RecentOutput
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<RedisServer> StartAsync(RedisServerOptions? options = null)
    {
        var server = new RedisServer(options ?? new RedisServerOptions());
        try
        {
            await server.StartAgainAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Starts (again) on the same port and data directory and waits until PING answers.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            return;
        }
        var info = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        var port = Port.ToString(CultureInfo.InvariantCulture);
        var args = new List<string>
        {
            "--bind", "127.0.0.1", "--dir", _directory, "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning", "--enable-debug-command", "local",
        };
        args.AddRange(_options.Tls
            ? ["--port", "0", "--tls-port", port, "--tls-cert-file", "cert.pem", "--tls-key-file", "key.pem", "--tls-auth-clients", "no"]
            : ["--port", port]);
        if (_options.Password is not null)
        {
            args.AddRange(["--requirepass", _options.Password]);
        }
        if (_options.AclUser is { } user)
        {
            args.AddRange(["--user", user.User, "on", ">" + user.Password, "~*", "&*", "+@all"]);
        }
        args.AddRange(_options.ExtraArguments);
        args.ForEach(info.ArgumentList.Add);
        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start (is it installed?)");
        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode}: {RecentOutput}");
            }
            if (await AnswersPingAsync())
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"redis-server did not answer PING on port {Port} within 15 s: {RecentOutput}");
    }

    /// <summary>Kills the server (SIGKILL: clients see the connection drop). Data written so far is on disk (appendfsync always).</summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Raw RESP: AUTH when a password is set, then PING; "+PONG" means loaded and serving.</summary>
    private async Task<bool> AnswersPingAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", Port, timeout.Token);
            Stream stream = tcp.GetStream();
            if (_options.Tls)
            {
                var ssl = new SslStream(stream, false, (_, _, _, _) => true);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, timeout.Token);
                stream = ssl;
            }
            await using (stream)
            {
                var command = (_options.Password is { } password ? $"AUTH \"{password}\"\r\n" : "") + "PING\r\n";
                await stream.WriteAsync(Encoding.UTF8.GetBytes(command), timeout.Token);
                var buffer = new byte[256];
                var received = new StringBuilder();
                while (!received.ToString().Contains("PONG") && !received.ToString().Contains("-ERR") && !received.ToString().Contains("-LOADING"))
                {
                    var read = await stream.ReadAsync(buffer, timeout.Token);
                    if (read == 0)
                    {
                        return false;
                    }
                    received.Append(Encoding.UTF8.GetString(buffer, 0, read));
                }
                return received.ToString().Contains("+PONG");
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            return false;
        }
    }

    private void WriteSelfSignedCertificate(bool looksLikeDevCertificate)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // server auth
        if (looksLikeDevCertificate)
        {
            request.CertificateExtensions.Add(new X509Extension(new Oid(AspNetDevCertificateOid, "ASP.NET Core HTTPS development certificate"), [2], critical: false));
        }
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(CertificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_directory, "key.pem"), key.ExportPkcs8PrivateKeyPem());
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            if (_output.Length > 8_000)
            {
                _output.Remove(0, 4_000);
            }
            _output.AppendLine(line);
        }
    }
}
