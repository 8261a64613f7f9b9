using SampleWeb.Hosting;
using SampleWeb.Identity;
using SampleWeb.Supabase;
using SampleWeb.Variants;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddGatewayIdentity();
builder.Services.AddSupabaseRest();
builder.Services.AddSupabaseStorage();
builder.Services.AddRazorPages().AddPageVariants();

var app = builder.Build();

// Friendly pages for failures in every environment: never a stack trace.
app.UseExceptionHandler("/Error");
app.UseStatusCodePagesWithReExecute("/Error", "?status={0}");
app.UseStaticFiles();
app.MapDefaultEndpoints();
app.UseGatewayIdentity();
app.UsePageResponseHeaders();
app.UseRouting();
app.UseAntiforgery();
app.MapRazorPages();

app.Run();
