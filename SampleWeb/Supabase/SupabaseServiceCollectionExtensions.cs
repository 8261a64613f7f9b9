namespace SampleWeb.Supabase;

public static class SupabaseServiceCollectionExtensions
{
    /// <summary>Server-side Supabase REST access, with settings validated at startup.</summary>
    public static IServiceCollection AddSupabaseRest(this IServiceCollection services)
    {
        services.AddOptions<SupabaseOptions>().BindConfiguration(SupabaseOptions.Section)
            .Validate(o => Uri.TryCreate(o.Url, UriKind.Absolute, out var url) && url.Scheme is "http" or "https",
                "Setting 'Supabase:Url' must be the absolute http(s) URL of the Supabase API.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.AnonKey), "Setting 'Supabase:AnonKey' is required (the project's anon key).")
            .ValidateOnStart();
        // Pages wait on these reads before any HTML is sent, so a slow Supabase must fail fast with a clear page.
        services.AddHttpClient<SupabaseRest>(client => client.Timeout = TimeSpan.FromSeconds(10));
        return services;
    }
}
