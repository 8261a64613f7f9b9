using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SampleWeb.Identity;
using SampleWeb.Pages.Posts;
using SampleWeb.Supabase;

namespace SampleWeb.Pages.Authenticated.Posts;

/// <summary>Signed-in post page with a comment form; the comment is written with the user's token.</summary>
public sealed class PostDetailsModel(SupabaseRest supabase) : PageModel
{
    [BindProperty]
    [Required(ErrorMessage = "Write something first.")]
    [StringLength(5000, ErrorMessage = "Keep comments under 5,000 characters.")]
    public string Body { get; set; } = "";

    public PostWithComments Thread { get; private set; } = null!;

    public string? Problem { get; private set; }

    private GatewayUser SignedInUser => HttpContext.GatewayUser()!;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct) =>
        await LoadAsync(id, ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        if (ModelState.IsValid)
        {
            var result = await supabase.InsertAsync("comments", new NewComment(id, Body.Trim()), SignedInUser.SupabaseToken, ct);
            if (WriteOutcome.Redirect(result, Request) is { } redirect)
            {
                return Redirect(redirect);
            }
            Problem = WriteOutcome.Message(result, "comment");
        }
        return await LoadAsync(id, ct) ? Page() : NotFound();
    }

    private async Task<bool> LoadAsync(long id, CancellationToken ct)
    {
        if (await PostWithComments.LoadAsync(supabase, id, SignedInUser.SupabaseToken, ct) is not { } thread)
        {
            return false;
        }
        Thread = thread;
        return true;
    }
}
