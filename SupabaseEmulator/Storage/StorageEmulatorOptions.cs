using Microsoft.Extensions.Options;

namespace SupabaseEmulator.Storage;

/// <summary>Emulator:Storage — where object bytes are kept and the global limits (the CLI's storage settings).</summary>
public sealed class StorageEmulatorOptions
{
    public const string Section = "Emulator:Storage";

    /// <summary>Directory for object bytes; default a fresh folder under the system temp directory (removed on stop).</summary>
    public string? Root { get; set; }

    /// <summary>Largest object accepted by any bucket (CLI file_size_limit, 50 MiB); a bucket's own limit can only be lower.</summary>
    public long FileSizeLimitBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Lifetime of createSignedUploadUrl tokens (storage-api: two hours).</summary>
    public int SignedUploadUrlLifetimeSeconds { get; set; } = 7200;
}

public sealed class StorageEmulatorOptionsValidator : IValidateOptions<StorageEmulatorOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageEmulatorOptions options)
    {
        if (options.FileSizeLimitBytes < 1)
        {
            return ValidateOptionsResult.Fail("Emulator:Storage:FileSizeLimitBytes must be positive.");
        }
        if (options.SignedUploadUrlLifetimeSeconds < 1)
        {
            return ValidateOptionsResult.Fail("Emulator:Storage:SignedUploadUrlLifetimeSeconds must be positive.");
        }
        return ValidateOptionsResult.Success;
    }
}
