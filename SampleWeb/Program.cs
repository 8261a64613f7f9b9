using SampleWeb.Identity;
using SampleWeb.Supabase;
using SampleWeb.Variants;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddOptions<GatewayOptions>().BindConfiguration("Gateway")
    .Validate(o => Uri.TryCreate(o.SessionApiUrl, UriKind.Absolute, out _), "Setting 'Gateway:SessionApiUrl' must be an absolute URL (where the identity JWKS is served).")
    .ValidateOnStart();
builder.Services.AddOptions<SupabaseOptions>().BindConfiguration("Supabase")
    .Validate(o => Uri.TryCreate(o.Url, UriKind.Absolute, out _), "Setting 'Supabase:Url' is required (the Supabase API URL).")
    .Validate(o => o.AnonKey.Length > 0, "Setting 'Supabase:AnonKey' is required (the project's anon key).")
    .ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddHttpClient(nameof(GatewayIdentityValidator));
builder.Services.AddSingleton<GatewayIdentityValidator>();
builder.Services.AddHttpClient<SupabaseRest>();
builder.Services.AddRazorPages();

var app = builder.Build();

app.UseExceptionHandler("/Error");
app.UseStatusCodePagesWithReExecute("/Error", "?status={0}");
app.MapDefaultEndpoints();
app.UseMiddleware<AuthenticatedVariantMiddleware>();
app.UseRouting();
app.UseStaticFiles();
app.UseAntiforgery();
app.MapRazorPages();

app.Run();
