// The whole gateway with one command: dotnet run --project AppHost (needs Docker and the Supabase CLI on PATH).
// Run mode: Redis (persistent), the local Supabase stack (`supabase start`), SessionApi, SampleWeb and the Proxy.
// Publish mode (azd up): the same services on Azure Container Apps; Supabase is a hosted project given by parameters.
using AppHost;

var builder = DistributedApplication.CreateBuilder(args);

var supabase = builder.AddSupabaseProject();
var secrets = builder.AddGatewaySecrets();

// User changes reach live sessions: the secret the auth.users trigger signs with (private.gateway_webhook, schema.sql).
// Optional when running locally (empty: the webhook endpoint answers 404); deployed, azd asks for it.
var userWebhookSecret = (builder.ExecutionContext.IsRunMode
        ? builder.AddParameter("gateway-user-webhook-secret", () => builder.Configuration["Parameters:gateway-user-webhook-secret"] ?? "", secret: true)
        : builder.AddParameter("gateway-user-webhook-secret", secret: true))
    .WithDescription("whsec_<base64 of 32 random bytes>: the same value as the secret in the database's private.gateway_webhook row.");

// Sessions must survive restarts and kills: a named data volume, an RDB snapshot every 5 s whenever a key changed,
// and the append-only file fsynced on every write (as in the test fixture), so no confirmed sign-in is lost.
var redis = builder.AddRedis("redis")
    .WithDataVolume()
    .WithPersistence(TimeSpan.FromSeconds(5), keysChangedThreshold: 1)
    .WithAppendOnlyPersistence();

var sessionApi = builder.AddGatewayService<Projects.SessionApi>("sessionapi")
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
builder.AddGatewayService<Projects.Proxy>("proxy", localPort: SupabaseProject.LocalSitePort)
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

builder.Build().Run();
