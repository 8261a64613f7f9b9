namespace SessionApi.Events;

public static class EventsRegistration
{
    /// <summary>Session events over Redis pub/sub, streamed to Proxies.</summary>
    public static IHostApplicationBuilder AddSessionEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SessionEventHub>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SessionEventHub>());
        return builder;
    }
}
