using SampleWeb.Supabase;

namespace SampleWeb.Pages.Posts;

/// <summary>A post and its comments, read together for the post page (both variants).</summary>
public sealed record PostWithComments(Post Post, IReadOnlyList<Comment> Comments)
{
    /// <summary>Null when the post does not exist (or RLS hides it).</summary>
    public static async Task<PostWithComments?> LoadAsync(SupabaseRest supabase, long id, string? userToken, CancellationToken ct)
    {
        var posts = supabase.SelectAsync<Post>($"posts?select=*&id=eq.{id}", userToken, ct);
        var comments = supabase.SelectAsync<Comment>($"comments?select=*&post_id=eq.{id}&order=created_at.asc", userToken, ct);
        await Task.WhenAll(posts, comments);
        return posts.Result is [var post] ? new PostWithComments(post, comments.Result) : null;
    }
}
