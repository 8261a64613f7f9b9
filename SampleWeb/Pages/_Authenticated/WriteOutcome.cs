using SampleWeb.Supabase;
using SampleWeb.Variants;

namespace SampleWeb.Pages.Authenticated;

/// <summary>What a page does after a write: Post/Redirect/Get on success, a sign-in on an expired token, else a message.</summary>
public static class WriteOutcome
{
    public static string? Redirect(WriteResult result, HttpRequest request) => result switch
    {
        WriteResult.Saved => request.Path + request.QueryString,
        WriteResult.SessionExpired => "/sign-in?error=session_expired&return_url=" + Uri.EscapeDataString(SignInRedirect.LocalPath(request.Path)),
        _ => null,
    };

    public static string Message(WriteResult result, string what) => result switch
    {
        WriteResult.Rejected => $"Your {what} could not be saved: check what you wrote and try again.",
        _ => $"Your {what} could not be saved because the database is unreachable right now. Please try again in a moment.",
    };
}
