using SupabaseEmulator;
using SupabaseEmulator.Database;
using SupabaseEmulator.GoTrue;
using SupabaseEmulator.Inspection;
using SupabaseEmulator.PostgRest;
using SupabaseEmulator.Realtime;
using SupabaseEmulator.Storage;

// An emulator for the Supabase API gateway (GoTrue, PostgREST, Realtime, Storage) for tests and Docker-less local runs.
// It answers with Supabase's own routes and error shapes; it is not Supabase and is never deployed.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddEmulatorOptions(builder.Configuration);
await builder.AddEmulatorDatabaseAsync();
builder.Services.AddGoTrueEmulator();
builder.Services.AddPostgRestEmulator();
builder.Services.AddRealtimeEmulator();
builder.Services.AddStorageEmulator(builder.Configuration);
builder.Services.AddEmulatorInspection();

var app = builder.Build();
await app.InitializeEmulatorDatabaseAsync();

app.UseEmulatorErrors();
app.UseEmulatorGateway();
app.MapGoTrue();
app.MapPostgRest();
app.MapRealtimeEmulator();
app.MapStorageEmulator();
app.MapEmulatorInspection();

await app.RunAsync();
