using Proxy;
using Proxy.Auth;
using Proxy.Edge;
using Proxy.Forwarding;
using Proxy.Hosting;
using Proxy.Realtime;
using Proxy.Security;
using Proxy.Webhooks;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGateway();
builder.AddGatewayHardening();
builder.Services.AddRealtimeRelay();

var app = builder.Build();

app.UseGatewayHardening();
app.UsePublicHealth();
app.UseRedirectAllowList();
app.UseMiddleware<CsrfMiddleware>();
app.UseMiddleware<RateLimitMiddleware>();
app.UseServerPkce();
app.MapDefaultEndpoints();
app.MapRealtimeRelay();
app.MapAuthInterception();
app.MapServerPkceCallback();
app.MapEdgeEndpoints();
app.MapUserWebhook();
app.MapFormEndpoints();
app.MapGatewayForwarding();

app.Run();

public partial class Program;
