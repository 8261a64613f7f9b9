// The whole gateway with one command: dotnet run --project AppHost (or `aspire run`).
// Run mode: Redis, a local Supabase, SessionApi, SampleWeb and the Proxy on http://127.0.0.1:5080. Where a container
// engine answers: the Redis container and the Supabase CLI stack (`supabase start`); where none does: redis-server and
// the in-repo Supabase emulator (LocalInfrastructure:Mode chooses; see LocalInfrastructure/).
// Publish mode (azd up): the same services on Azure Container Apps; Supabase is a hosted project given by parameters.
using System.Reflection;
using AppHost;
using AppHost.LocalInfrastructure;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

LocalInfrastructureSettings? localSettings = null;
LocalInfrastructureMode? localMode = null;
if (builder.ExecutionContext.IsRunMode)
{
    try
    {
        localSettings = LocalInfrastructureSettings.From(builder);
        localMode = builder.ChooseLocalInfrastructure(localSettings);
    }
    catch (LocalSetupException problem) when (Assembly.GetEntryAssembly() == typeof(LocalSetupException).Assembly)
    {
        // Before anything starts, so the user reads what to do instead of watching resources wait in the dashboard.
        // (Under Aspire.Hosting.Testing the entry assembly is the test host: the exception reaches the test instead.)
        Console.Error.WriteLine(problem.Message);
        return 1;
    }
}

var supabase = builder.AddSupabaseProject(localMode is { } mode ? (mode, localSettings!) : null);
var secrets = builder.AddGatewaySecrets();

// User changes reach live sessions: the secret the auth.users trigger signs with (private.gateway_webhook, schema.sql).
// Optional when running locally (empty: the webhook endpoint answers 404); deployed, azd asks for it.
var userWebhookSecret = (builder.ExecutionContext.IsRunMode
        ? builder.AddParameter("gateway-user-webhook-secret", () => builder.Configuration["Parameters:gateway-user-webhook-secret"] ?? "", secret: true)
        : builder.AddParameter("gateway-user-webhook-secret", secret: true))
    .WithDescription("whsec_<base64 of 32 random bytes>: the same value as the secret in the database's private.gateway_webhook row.");

// Sessions must survive restarts and kills: every acknowledged write is in the append-only file, fsynced (as in the
// test fixture). The container keeps its data in a named volume; redis-server in LocalInfrastructure:DataDirectory.
// Deployed with Gateway:ExternalRedis=true: no Redis container; azd asks for the connection string of a managed Redis
// (Azure Managed Redis, clustered or not; docs/deploy-azure.md) and passes it on as ConnectionStrings__redis.
IResourceBuilder<IResourceWithConnectionString> redis = localMode == LocalInfrastructureMode.Emulator
    ? builder.AddRedisServer("redis", Path.Combine(localSettings!.DataDirectory, "redis"))
    : builder.ExecutionContext.IsPublishMode && builder.Configuration.GetValue<bool>("Gateway:ExternalRedis")
    ? builder.AddConnectionString("redis")
    : builder.AddRedis("redis")
        .WithDataVolume()
        .WithPersistence(TimeSpan.FromSeconds(5), keysChangedThreshold: 1)
        .WithAppendOnlyPersistence();

// Deployed, the SessionApi and the Proxy run as several replicas (WithPublishedReplicas); SampleWeb is a sample page host.
var sessionApi = builder.AddGatewayService<Projects.SessionApi>("sessionapi")
    .WithPublishedReplicas()
    .WithReference(redis)
    .WaitFor(redis)
    .WithEnvironment("SessionApi__CallerKey", secrets.CallerKey)
    .WithTokenSigning(supabase.Signing)
    .WithIdentityKey(secrets)
    .WithSupabase(supabase, includeServiceKey: true);

var sampleWeb = builder.AddGatewayService<Projects.SampleWeb>("sampleweb")
    .WithReference(sessionApi)
    .WaitFor(sessionApi)
    .WithEnvironment("Gateway__SessionApiUrl", "http://sessionapi")
    .WithSupabase(supabase);

// The only resource with an external endpoint: browsers reach everything through it.
var proxy = builder.AddGatewayService<Projects.Proxy>("proxy", localPort: localSettings?.ProxyPort)
    .WithPublishedReplicas()
    .WithExternalHttpEndpoints()
    .WithReference(sessionApi)
    .WithReference(sampleWeb)
    .WaitFor(sessionApi)
    .WithEnvironment("Gateway__SessionApiUrl", "http://sessionapi")
    .WithEnvironment("Gateway__SessionApiKey", secrets.CallerKey)
    .WithEnvironment("Gateway__SampleWebUrl", "http://sampleweb")
    .WithEnvironment("Gateway__UserWebhook__Secret", userWebhookSecret)
    .WithSupabase(supabase)
    .WithPublicOrigins();

supabase.Emulator?.WithLinksThrough(proxy);

builder.Build().Run();
return 0;
