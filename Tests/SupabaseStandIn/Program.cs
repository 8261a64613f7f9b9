using SupabaseStandIn;
using SupabaseStandIn.Database;
using SupabaseStandIn.GoTrue;
using SupabaseStandIn.Inspection;
using SupabaseStandIn.PostgRest;
using SupabaseStandIn.Realtime;

// A stand-in for the Supabase API gateway (GoTrue, PostgREST, Realtime) for tests and Docker-less local runs.
// It follows shared/docs/supabase-contract.md; it is not Supabase and not part of the product.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddStandInOptions(builder.Configuration);
await builder.AddStandInDatabaseAsync();
builder.Services.AddGoTrueStandIn();
builder.Services.AddPostgRestStandIn();
builder.Services.AddRealtimeStandIn();
builder.Services.AddStandInInspection();

var app = builder.Build();
await app.InitializeStandInDatabaseAsync();

app.UseStandInErrors();
app.UseStandInGateway();
app.MapGoTrue();
app.MapPostgRest();
app.MapRealtimeStandIn();
app.MapStandInInspection();

await app.RunAsync();
