using System.Collections.Concurrent;
using System.Diagnostics;

namespace TestSupport;

/// <summary>
/// One of our built services (or the emulator) running as a real process on loopback, so tests can stop and
/// restart it like an operator would. Settings are passed as environment variables (":" becomes "__").
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly string _name;
    private readonly string _dll;
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly string _readyPath;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    private ServiceProcess(string name, string dll, IReadOnlyDictionary<string, string?> settings, int port, string readyPath)
    {
        _name = name;
        _dll = dll;
        _settings = settings;
        Port = port;
        _readyPath = readyPath;
        Url = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Url { get; }

    public int Port { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The running process's id (benchmarks read its memory from /proc).</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>The last lines the process printed (stdout and stderr), for assertion messages.</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output);

    public static async Task<ServiceProcess> StartAsync(
        string name,
        string projectDir,
        IReadOnlyDictionary<string, string?> settings,
        int? port = null,
        string readyPath = "/alive",
        CancellationToken ct = default)
    {
        var service = new ServiceProcess(name, RepoPaths.Dll(projectDir), settings, port ?? FreePort.Next(), readyPath);
        await service.StartAgainAsync(ct);
        return service;
    }

    /// <summary>Starts the process (again) on the same port with the same settings and waits until it is ready.</summary>
    public async Task StartAgainAsync(CancellationToken ct = default)
    {
        if (IsRunning)
        {
            return;
        }

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(_dll)!,
        };
        info.ArgumentList.Add(_dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(Url.ToString().TrimEnd('/'));
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Information";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in _settings)
        {
            info.Environment[key.Replace(":", "__")] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{_name} exited with code {process.ExitCode} during startup:{Environment.NewLine}{RecentOutput}");
            }
            try
            {
                using var response = await Probe.GetAsync(new Uri(Url, _readyPath), ct);
                if ((int)response.StatusCode < 500)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            await Task.Delay(100, ct);
        }
        throw new TimeoutException($"{_name} was not ready at {_readyPath} within 60 s:{Environment.NewLine}{RecentOutput}");
    }

    /// <summary>Stops the process (kill: the crash an operator fears, not a graceful drain).</summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    public override string ToString() => $"{_name} at {Url}";

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        while (_output.Count > 400 && _output.TryDequeue(out _))
        {
        }
    }
}
