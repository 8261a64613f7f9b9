using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SampleWeb.Identity;
using SampleWeb.Supabase;

namespace SampleWeb.Pages.Authenticated;

/// <summary>
/// Attachments in Supabase Storage, with plain HTML forms (multipart upload, delete) that work without JavaScript.
/// Every call runs with the session's minted JWT; the bucket's RLS policies keep each user to their own folder.
/// </summary>
[RequestFormLimits(MultipartBodyLengthLimit = MaxFileBytes + 64 * 1024)]
[RequestSizeLimit(MaxFileBytes + 64 * 1024)]
public sealed class AttachmentsModel(SupabaseStorage storage, TimeProvider time) : PageModel
{
    public const long MaxFileBytes = 10L * 1024 * 1024;

    public IReadOnlyList<Attachment> Files { get; private set; } = [];

    public string? Problem { get; private set; }

    private GatewayUser SignedInUser => HttpContext.GatewayUser()!;

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(IFormFile? upload, CancellationToken ct)
    {
        if (upload is null || upload.Length == 0)
        {
            Problem = "Choose a file to upload first.";
        }
        else if (upload.Length > MaxFileBytes)
        {
            Problem = "That file is larger than 10 MB.";
        }
        else
        {
            var name = $"{time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}-{SafeName(upload.FileName)}";
            await using var content = upload.OpenReadStream();
            var result = await storage.UploadAsync(SignedInUser.UserId, name, content, upload.ContentType, SignedInUser.SupabaseToken, ct);
            if (WriteOutcome.Redirect(result, Request) is { } redirect)
            {
                return Redirect(redirect);
            }
            Problem = WriteOutcome.Message(result, "file");
        }
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostDeleteAsync(string? name, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(name) && !name.Contains('/', StringComparison.Ordinal))
        {
            var result = await storage.DeleteAsync(SignedInUser.UserId, name, SignedInUser.SupabaseToken, ct);
            if (result == WriteResult.Saved)
            {
                return Redirect(Request.Path); // Post/Redirect/Get, without the handler
            }
            if (WriteOutcome.Redirect(result, Request) is { } signIn)
            {
                return Redirect(signIn);
            }
            Problem = result == WriteResult.Rejected ? "That file could not be deleted (it may already be gone)." : WriteOutcome.Message(result, "change");
        }
        await LoadAsync(ct);
        return Page();
    }

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
        _ => (bytes / 1024.0 / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
    };

    /// <summary>Keeps the original name readable but limited to characters every hop treats the same.</summary>
    private static string SafeName(string fileName)
    {
        var builder = new StringBuilder();
        foreach (var c in Path.GetFileName(fileName))
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        }
        var safe = builder.ToString().Trim('.');
        return safe.Length == 0 ? "file" : safe[..Math.Min(safe.Length, 100)];
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        try
        {
            Files = await storage.ListAsync(SignedInUser.UserId, SignedInUser.SupabaseToken, ct);
        }
        catch (SupabaseUnavailableException)
        {
            Problem ??= "Your files cannot be listed right now. Please try again in a moment.";
        }
    }
}
