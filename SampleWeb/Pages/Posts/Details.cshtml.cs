using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SampleWeb.Supabase;
using SampleWeb.Variants;

namespace SampleWeb.Pages.Posts;

/// <summary>Anonymous post page: the post and its comments, read with the anon key.</summary>
public sealed class PostDetailsModel(SupabaseRest supabase) : PageModel
{
    public PostWithComments Thread { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        if (await PostWithComments.LoadAsync(supabase, id, null, ct) is not { } thread)
        {
            return NotFound();
        }
        Thread = thread;
        return Page();
    }

    /// <summary>The signed-in comment form, submitted after the session ended: sign in again, then come back.</summary>
    public IActionResult OnPost() => Redirect(SignInRedirect.For(Request));
}
