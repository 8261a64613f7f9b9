using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SampleWeb.Identity;
using SampleWeb.Supabase;
using AnonymousPosts = SampleWeb.Pages.Posts.PostsModel;

namespace SampleWeb.Pages.Authenticated.Posts;

/// <summary>Signed-in posts list with a "New post" form; reads and writes with the user's token (RLS sets user_id).</summary>
public sealed class PostsModel(SupabaseRest supabase) : PageModel
{
    public sealed class PostForm
    {
        [Required(ErrorMessage = "Give your post a title.")]
        [StringLength(200, ErrorMessage = "Keep the title under 200 characters.")]
        public string Title { get; set; } = "";

        [StringLength(10_000, ErrorMessage = "Keep the text under 10,000 characters.")]
        public string? Body { get; set; }
    }

    [BindProperty]
    public PostForm Form { get; set; } = new();

    public IReadOnlyList<Post> Posts { get; private set; } = [];

    public string? Problem { get; private set; }

    private GatewayUser SignedInUser => HttpContext.GatewayUser()!;

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (ModelState.IsValid)
        {
            var result = await supabase.InsertAsync("posts", new NewPost(Form.Title.Trim(), Form.Body?.Trim() ?? ""), SignedInUser.SupabaseToken, ct);
            if (WriteOutcome.Redirect(result, Request) is { } redirect)
            {
                return Redirect(redirect);
            }
            Problem = WriteOutcome.Message(result, "post");
        }
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct) =>
        Posts = await supabase.SelectAsync<Post>(AnonymousPosts.RecentPosts, SignedInUser.SupabaseToken, ct);
}
