namespace SupabaseEmulator.Storage;

/// <summary>storage-api's key rule, in short: non-empty, no empty or dot segments, no control characters.</summary>
public static class ObjectKeys
{
    public static bool IsValid(string? key) =>
        !string.IsNullOrEmpty(key) && key.Length <= 1024 && !key.Any(char.IsControl) && !key.StartsWith('/')
        && key.Split('/').All(segment => segment.Length > 0 && segment is not "." and not "..");
}
