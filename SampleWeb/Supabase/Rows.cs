using System.Text.Json.Serialization;

namespace SampleWeb.Supabase;

/// <summary>A row of public.posts (readable by everyone, written by its author).</summary>
/// <param name="AuthorName">The author's sign-up name, set by the database; null when they gave none.</param>
public sealed record Post(long Id, Guid UserId, string Title, string Body, DateTimeOffset CreatedAt, string? AuthorName = null);

/// <summary>A row of public.comments.</summary>
public sealed record Comment(long Id, long PostId, Guid UserId, string Body, DateTimeOffset CreatedAt, string? AuthorName = null);

/// <summary>A row of public.notes (RLS: only its owner sees it).</summary>
public sealed record Note(long Id, string Body, DateTimeOffset CreatedAt);

/// <summary>A row of public.sessions, mirrored by the SessionApi (RLS: only the user's own).</summary>
public sealed record SessionRow(Guid Id, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt, DateTimeOffset ExpiresAt, string? Ip, string? UserAgent, string? Aal);

// Inserts name only the columns the user chooses: user_id defaults to auth.uid() in the database.
public sealed record NewPost(string Title, string Body);

public sealed record NewComment(long PostId, string Body);

public sealed record NewNote(string Body);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(List<Post>))]
[JsonSerializable(typeof(List<Comment>))]
[JsonSerializable(typeof(List<Note>))]
[JsonSerializable(typeof(List<SessionRow>))]
[JsonSerializable(typeof(NewPost))]
[JsonSerializable(typeof(NewComment))]
[JsonSerializable(typeof(NewNote))]
internal sealed partial class RowsJsonContext : JsonSerializerContext;
