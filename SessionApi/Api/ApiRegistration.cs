using Gateway.Contracts;

namespace SessionApi.Api;

public static class ApiRegistration
{
    /// <summary>Problem details for every error (never a stack trace) and the source-generated wire contract.</summary>
    public static IHostApplicationBuilder AddSessionApiEndpoints(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, SessionApiJsonContext.Default));
        return builder;
    }
}
