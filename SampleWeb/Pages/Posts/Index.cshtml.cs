using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc;
using SampleWeb.Supabase;
using SampleWeb.Variants;

namespace SampleWeb.Pages.Posts;

/// <summary>Anonymous posts list: read with the anon key, so RLS shows what the public may see.</summary>
public sealed class PostsModel(SupabaseRest supabase) : PageModel
{
    public const string RecentPosts = "posts?select=*&order=created_at.desc&limit=50";

    public IReadOnlyList<Post> Posts { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Posts = await supabase.SelectAsync<Post>(RecentPosts, null, ct);

    /// <summary>The signed-in "New post" form, submitted after the session ended: sign in again, then come back.</summary>
    public IActionResult OnPost() => Redirect(SignInRedirect.For(Request));
}
