using Proxy;
using Proxy.Hosting;
using Proxy.Realtime;
using Proxy.Routing;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGateway();
builder.AddGatewayHardening();
builder.Services.AddRealtimeRelay();

var app = builder.Build();

app.UseGatewayPipeline();
app.MapGatewayRoutes();

app.Run();

public partial class Program;
