using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SupabaseEmulator.Storage;

/// <summary>storage-api behind the gateway at /storage/v1: buckets, objects, signed URLs, resumable uploads.</summary>
public static class StorageEmulatorExtensions
{
    public static IServiceCollection AddStorageEmulator(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IValidateOptions<StorageEmulatorOptions>, StorageEmulatorOptionsValidator>();
        services.AddOptions<StorageEmulatorOptions>().Bind(configuration.GetSection(StorageEmulatorOptions.Section)).ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ObjectFiles>();
        services.TryAddSingleton<StoredObjects>();
        return services;
    }

    public static IEndpointRouteBuilder MapStorageEmulator(this IEndpointRouteBuilder endpoints)
    {
        var storage = endpoints.MapGroup("/storage/v1");
        storage.MapGet("/status", () => Results.Text("", "text/plain"));
        storage.MapBucketRoutes();
        storage.MapSignedUrlRoutes();
        storage.MapObjectRoutes();
        storage.MapResumableUploadRoutes();
        return endpoints;
    }
}
