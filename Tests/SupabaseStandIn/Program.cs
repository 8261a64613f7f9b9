using Npgsql;
using SupabaseStandIn;
using SupabaseStandIn.Database;
using SupabaseStandIn.GoTrue;
using SupabaseStandIn.PostgRest;
using SupabaseStandIn.Realtime;
using TestSupport;

// A stand-in for the Supabase API gateway (GoTrue, PostgREST, Realtime) for tests and Docker-less local runs.
// It follows shared/docs/supabase-contract.md; it is not Supabase and not part of the product.
var builder = WebApplication.CreateBuilder(args);
builder.Services.Configure<StandInOptions>(builder.Configuration.GetSection("StandIn"));
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<StandInJwt>();
builder.Services.AddRealtimeStandIn();

PostgresServer? ownPostgres = null;
var connectionString = builder.Configuration.GetConnectionString("postgres");
if (string.IsNullOrEmpty(connectionString))
{
    ownPostgres = await PostgresServer.StartAsync();
    connectionString = await ownPostgres.CreateDatabaseAsync("standin");
    Console.WriteLine($"Started PostgreSQL for the stand-in: {connectionString}");
}
builder.Services.AddSingleton(_ => new StandInDatabase(NpgsqlDataSource.Create(connectionString)));

var app = builder.Build();
await app.Services.GetRequiredService<StandInDatabase>().InitializeAsync(
    app.Configuration["StandIn:SchemaPath"] ?? StandInDatabase.DefaultSchemaPath, CancellationToken.None);

app.UseRequestLog();
app.MapRequestLog();
app.MapGoTrue();
app.MapPostgRest();
app.MapRealtimeStandIn();

await app.RunAsync();
if (ownPostgres is not null)
{
    await ownPostgres.DisposeAsync();
}
