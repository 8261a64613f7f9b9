using System.Diagnostics;
using System.Net.Sockets;

namespace TestSupport;

public sealed record RedisServerOptions
{
    /// <summary>requirepass for the default user.</summary>
    public string? Password { get; init; }

    /// <summary>An extra ACL user ("name", "password") with all permissions.</summary>
    public (string User, string Password)? AclUser { get; init; }

    /// <summary>Serve TLS (only) with this PEM certificate and key.</summary>
    public (string CertificatePem, string KeyPem)? Tls { get; init; }
}

/// <summary>
/// A real redis-server on a free loopback port with its own data directory. Append-only persistence with
/// fsync on every write, as the AppHost configures Redis, so sessions survive a restart.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly RedisServerOptions _options;
    private readonly string _directory;
    private Process? _process;

    private RedisServer(RedisServerOptions options)
    {
        _options = options;
        Port = FreePort.Next();
        _directory = Directory.CreateTempSubdirectory("redis-test-").FullName;
    }

    public int Port { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>StackExchange.Redis-format connection string, like Aspire injects.</summary>
    public string ConnectionString =>
        $"127.0.0.1:{Port}" + (_options.Password is null ? "" : $",password={_options.Password}") + (_options.Tls is null ? "" : ",ssl=true,sslHost=localhost");

    public static async Task<RedisServer> StartAsync(RedisServerOptions? options = null)
    {
        var server = new RedisServer(options ?? new RedisServerOptions());
        await server.StartAgainAsync();
        return server;
    }

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
        var args = new List<string>
        {
            "--bind", "127.0.0.1", "--dir", _directory, "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
        };
        if (_options.Tls is { } tls)
        {
            File.WriteAllText(Path.Combine(_directory, "cert.pem"), tls.CertificatePem);
            File.WriteAllText(Path.Combine(_directory, "key.pem"), tls.KeyPem);
            args.AddRange(["--port", "0", "--tls-port", Port.ToString(), "--tls-cert-file", "cert.pem", "--tls-key-file", "key.pem",
                "--tls-auth-clients", "no"]);
        }
        else
        {
            args.AddRange(["--port", Port.ToString()]);
        }
        if (_options.Password is not null)
        {
            args.AddRange(["--requirepass", _options.Password]);
        }
        if (_options.AclUser is { } user)
        {
            args.AddRange(["--user", user.User, "on", ">" + user.Password, "~*", "&*", "+@all"]);
        }
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start (is it installed?)");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"redis-server did not listen on port {Port} within 15 s");
    }

    /// <summary>Kills the server (data written so far is on disk: appendfsync always).</summary>
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
}
