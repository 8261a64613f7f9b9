using System.Diagnostics;
using System.Text.Json;

namespace AppHost.Tests;

/// <summary>
/// The manifest azd deploys from, generated the way azd does (`dotnet run --project AppHost -- --publisher manifest
/// --output-path …`): what reaches Azure Container Apps.
/// </summary>
public sealed class PublishManifestTests(PublishedManifest manifest) : IClassFixture<PublishedManifest>
{
    private readonly JsonElement _resources = manifest.Resources;

    [Fact]
    public void Only_the_proxy_is_reachable_from_outside()
    {
        Assert.True(IsExternal("proxy"));
        Assert.False(IsExternal("sessionapi"));
        Assert.False(IsExternal("sampleweb"));
        var external = Resources().Where(r => r.Value.TryGetProperty("bindings", out var b)
            && b.EnumerateObject().Any(binding => binding.Value.TryGetProperty("external", out var e) && e.GetBoolean())).Select(r => r.Name);
        Assert.Equal(["proxy"], external);
    }

    [Fact]
    public void Redis_is_a_container_and_the_sessionapi_gets_its_connection_string()
    {
        Assert.Equal("container.v0", Resource("redis").GetProperty("type").GetString());
        var env = Resource("sessionapi").GetProperty("env");
        Assert.Contains("{redis.connectionString}", env.GetProperty("ConnectionStrings__redis").GetString());
    }

    [Fact]
    public void The_proxy_and_the_sessionapi_are_deployed_as_several_replicas_sharing_redis()
    {
        foreach (var service in new[] { "proxy", "sessionapi" })
        {
            Assert.True(Resource(service).TryGetProperty("replicas", out var replicas) && replicas.GetInt32() >= 2,
                $"{service} is deployed as a single instance: {Resource(service)}");
        }
        // Every SessionApi replica signs with the same keys (parameters, not a per-process key) and reaches the same Redis.
        var env = Resource("sessionapi").GetProperty("env");
        Assert.Matches(@"^\{[a-z0-9-]+\.value\}$", env.GetProperty("Identity__SigningKeyPem").GetString());
        Assert.Contains("{redis.connectionString}", env.GetProperty("ConnectionStrings__redis").GetString());
        // SampleWeb, the sample page host, stays one instance.
        Assert.False(Resource("sampleweb").TryGetProperty("replicas", out _));
    }

    [Fact]
    public void No_local_stand_in_reaches_a_deployment()
    {
        var names = Resources().Select(r => r.Name).ToList();
        Assert.DoesNotContain("supabase-emulator", names);
        Assert.DoesNotContain("supabase", names); // the CLI's `supabase start`
        Assert.DoesNotContain("local-infrastructure", names);
        Assert.DoesNotContain(names, n => n.Contains("emulator", StringComparison.OrdinalIgnoreCase));
        Assert.All(Resources().Where(r => r.Value.GetProperty("type").GetString()!.StartsWith("project", StringComparison.Ordinal)),
            r => Assert.DoesNotContain("SupabaseEmulator", r.Value.GetProperty("path").GetString(), StringComparison.Ordinal));
        // Supabase is the hosted project the user names.
        Assert.Equal("{supabase-url.value}", Resource("proxy").GetProperty("env").GetProperty("Supabase__Url").GetString());
    }

    [Fact]
    public void Every_secret_is_a_parameter_with_no_fixed_default()
    {
        var secrets = Resources()
            .Where(r => r.Value.GetProperty("type").GetString() == "parameter.v0")
            .Where(r => r.Value.GetProperty("inputs").GetProperty("value").TryGetProperty("secret", out var s) && s.GetBoolean())
            .ToDictionary(r => r.Name, r => r.Value.GetProperty("inputs").GetProperty("value"));
        Assert.Superset(new HashSet<string> { "supabase-anon-key", "supabase-service-key", "supabase-jwt-secret", "sessionapi-caller-key",
            "sessionapi-identity-key", "gateway-user-webhook-secret", "redis-password" }, secrets.Keys.ToHashSet());
        foreach (var (name, input) in secrets)
        {
            // Either azd asks for it, or azd generates a fresh random value per environment: never a value in the repo.
            if (input.TryGetProperty("default", out var fallback))
            {
                Assert.True(fallback.TryGetProperty("generate", out _) && !fallback.TryGetProperty("value", out _),
                    $"secret parameter '{name}' has a fixed default: {fallback}");
            }
        }
        foreach (var name in new[] { "supabase-anon-key", "supabase-service-key", "supabase-jwt-secret", "sessionapi-identity-key", "gateway-user-webhook-secret" })
        {
            Assert.False(secrets[name].TryGetProperty("default", out _), $"'{name}' must have no default at all");
        }

        // And no service is handed a secret literally: every secret-looking setting is a parameter reference.
        string[] secretSettings = ["Supabase__AnonKey", "Supabase__ServiceKey", "Jwt__Secret", "SessionApi__CallerKey", "Gateway__SessionApiKey",
            "Identity__SigningKeyPem", "Gateway__UserWebhook__Secret"];
        foreach (var service in new[] { "sessionapi", "sampleweb", "proxy" })
        {
            foreach (var setting in Resource(service).GetProperty("env").EnumerateObject().Where(e => secretSettings.Contains(e.Name)))
            {
                var value = setting.Value.GetString()!;
                Assert.Matches(@"^\{[a-z0-9-]+\.value\}$", value);
                Assert.True(secrets.ContainsKey(value[1..^7]), $"{service}'s {setting.Name} = {value} is not a secret parameter");
            }
        }
    }

    private IEnumerable<(string Name, JsonElement Value)> Resources() => _resources.EnumerateObject().Select(r => (r.Name, r.Value));

    private JsonElement Resource(string name) =>
        _resources.TryGetProperty(name, out var resource) ? resource : throw new Xunit.Sdk.XunitException($"no resource '{name}' in the manifest");

    private bool IsExternal(string name) =>
        Resource(name).GetProperty("bindings").EnumerateObject().Any(b => b.Value.TryGetProperty("external", out var e) && e.GetBoolean());
}

/// <summary>The manifest, published once for the class.</summary>
public sealed class PublishedManifest : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "apphost-manifest-" + Guid.NewGuid().ToString("N")[..12]);

    public JsonElement Resources { get; private set; }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var manifest = Path.Combine(_directory, "aspire-manifest.json");
        var appHost = Projects.AppHost.ProjectPath;
        var start = new ProcessStartInfo("dotnet",
            ["run", "--project", appHost, "--no-build", "--", "--publisher", "manifest", "--output-path", manifest])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0 && File.Exists(manifest),
            $"manifest publishing exited {process.ExitCode}:{Environment.NewLine}{await output}{await error}");
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(manifest));
        Resources = document.RootElement.GetProperty("resources").Clone();
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
