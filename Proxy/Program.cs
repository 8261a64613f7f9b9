using Proxy;
using Proxy.Auth;
using Proxy.Edge;
using Proxy.Forwarding;
using Proxy.Realtime;
using Proxy.Security;
using Proxy.Webhooks;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGateway();
builder.Services.AddRealtimeRelay();

var app = builder.Build();

app.UseMiddleware<CsrfMiddleware>();
app.MapDefaultEndpoints();
app.MapRealtimeRelay();
app.MapAuthInterception();
app.MapEdgeEndpoints();
app.MapUserWebhook();
app.MapFormEndpoints();
app.MapGatewayForwarding();

app.Run();

public partial class Program;
