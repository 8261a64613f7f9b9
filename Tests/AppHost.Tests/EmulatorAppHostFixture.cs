using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TestSupport;

namespace AppHost.Tests;

/// <summary>
/// The real AppHost started once through Aspire.Hosting.Testing in emulator mode (redis-server + the Supabase
/// emulator as DCP processes; no container runtime needed): the Proxy on a random port, the emulator on a free port,
/// Redis data in a fresh directory, and every service exporting OpenTelemetry to <see cref="Collector"/>.
/// </summary>
public sealed class EmulatorAppHostFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(4);
    private static readonly string[] Services = ["redis", "supabase-emulator", "sessionapi", "sampleweb", "proxy"];
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "apphost-tests-" + Guid.NewGuid().ToString("N")[..12]);
    private IDistributedApplicationTestingBuilder? _builder;
    private DistributedApplication? _app;

    internal OtlpCollector Collector { get; } = new(FreePort.Next());

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The AppHost has not started.");

    public Uri ProxyUrl => App.GetEndpoint("proxy", "http");

    public Uri SupabaseUrl => App.GetEndpoint("supabase-emulator", "http");

    public string AnonKey { get; private set; } = "";

    public string DataDirectory => _dataDirectory;

    public async Task InitializeAsync()
    {
        using var startup = new CancellationTokenSource(StartupTimeout);
        _builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
        [
            "--LocalInfrastructure:Mode=emulator",
            $"--LocalInfrastructure:EmulatorPort={FreePort.Next()}",
            $"--LocalInfrastructure:ProxyPort={FreePort.Next()}",
            $"--LocalInfrastructure:DataDirectory={_dataDirectory}",
        ], startup.Token);
        // The services' own logs (forwarded by the AppHost as AppHost.Resources.*) only when they warn.
        _builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        _builder.Services.AddLogging(logging => logging.AddFilter("AppHost.Resources", LogLevel.Warning));
        foreach (var project in _builder.Resources.OfType<ProjectResource>())
        {
            // Added after Aspire's own OTLP settings, so these win: traces go to the in-test collector, batched briefly.
            _builder.CreateResourceBuilder(project)
                .WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", Collector.Endpoint.ToString().TrimEnd('/'))
                .WithEnvironment("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                .WithEnvironment("OTEL_BSP_SCHEDULE_DELAY", "200")
                .WithEnvironment("OTEL_TRACES_SAMPLER", "always_on");
        }
        _app = await _builder.BuildAsync(startup.Token);
        await _app.StartAsync(startup.Token);
        foreach (var resource in Services)
        {
            // StopOnResourceUnavailable: a service that fails to start fails the fixture now instead of at the timeout.
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource, WaitBehavior.StopOnResourceUnavailable, startup.Token);
        }
        var anonKey = _builder.Resources.OfType<ParameterResource>().Single(p => p.Name == "supabase-anon-key");
        AnonKey = await anonKey.GetValueAsync(startup.Token) ?? throw new InvalidOperationException("supabase-anon-key has no value.");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (_builder is not null)
        {
            await _builder.DisposeAsync();
        }
        await Collector.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // redis-server may still be flushing; a temp directory left behind harms nothing.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class EmulatorAppHostCollection : ICollectionFixture<EmulatorAppHostFixture>
{
    public const string Name = "AppHost in emulator mode";
}
