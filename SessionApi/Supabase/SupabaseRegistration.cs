namespace SessionApi.Supabase;

public static class SupabaseRegistration
{
    /// <summary>The GoTrue client (refresh, logout) and the background sync to Supabase (logout, sessions table).</summary>
    public static IHostApplicationBuilder AddSupabaseCalls(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        // Resolve may wait on a refresh: keep GoTrue calls well inside the refresh lock's 10 s.
        services.AddHttpClient(nameof(GoTrueClient), http => http.Timeout = TimeSpan.FromSeconds(8));
        // Off the request path, and both calls are idempotent (logout of an ended session, upsert by id): retries are safe.
        services.AddHttpClient(nameof(SupabaseSync), http => http.Timeout = TimeSpan.FromSeconds(15)).AddRetriesForIdempotentWork();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<GoTrueClient>(sp, HttpClientFor<GoTrueClient>(sp)));
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<SupabaseSync>(sp, HttpClientFor<SupabaseSync>(sp)));
        services.AddHostedService(sp => sp.GetRequiredService<SupabaseSync>());
        return builder;
    }

    private static HttpClient HttpClientFor<T>(IServiceProvider services) =>
        services.GetRequiredService<IHttpClientFactory>().CreateClient(typeof(T).Name);
}
