using SessionApi.Api;
using SessionApi.Events;
using SessionApi.Options;
using SessionApi.Sessions;
using SessionApi.Storage;
using SessionApi.Supabase;
using SessionApi.Tokens;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddSessionApiOptions();
builder.AddSessionRedis();
builder.AddSessionStore();
builder.AddTokenMinting();
builder.AddSessionEvents();
builder.AddSupabaseCalls();
builder.AddSessionApiEndpoints();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapDefaultEndpoints();
app.MapSessionApi();

app.Run();

public partial class Program;
