using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace SupabaseEmulator.Storage;

/// <summary>
/// Object bytes on disk, one file per object version (storage.objects.version), so a move only changes the row and
/// an upsert writes a new file before the row points at it. Incomplete resumable uploads live under uploads/.
/// </summary>
public sealed class ObjectFiles : IDisposable
{
    private readonly bool _ownsRoot;

    public ObjectFiles(IOptions<StorageEmulatorOptions> options)
    {
        _ownsRoot = options.Value.Root is null;
        Root = options.Value.Root ?? Path.Combine(Path.GetTempPath(), "supabase-emulator-storage-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(Root, "uploads"));
    }

    public string Root { get; }

    public string PathOf(string version) => Path.Combine(Root, Checked(version));

    public string UploadPathOf(string version) => Path.Combine(Root, "uploads", Checked(version));

    public static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);

    public void Delete(string? version)
    {
        if (version is not null && File.Exists(PathOf(version)))
        {
            File.Delete(PathOf(version));
        }
    }

    /// <summary>Copies a stored version to a new one (copy keeps the source untouched).</summary>
    public async Task CopyAsync(string fromVersion, string toVersion, CancellationToken ct)
    {
        await using var source = OpenRead(PathOf(fromVersion));
        await using var target = new FileStream(PathOf(toVersion), FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
        await source.CopyToAsync(target, ct);
    }

    /// <summary>MD5 of a stored file, as storage-api reports it in metadata.eTag.</summary>
    public static async Task<string> Md5Async(string path, CancellationToken ct)
    {
        await using var stream = OpenRead(path);
        return Convert.ToHexStringLower(await MD5.HashDataAsync(stream, ct));
    }

    public void Dispose()
    {
        if (_ownsRoot && Directory.Exists(Root))
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A file still open by a request that is being torn down; the temp folder is cleaned by the OS.
            }
        }
    }

    private static string Checked(string version) =>
        Guid.TryParseExact(version, "N", out _) || Guid.TryParse(version, out _) ? version : throw new ArgumentException("Not an object version.", nameof(version));
}
