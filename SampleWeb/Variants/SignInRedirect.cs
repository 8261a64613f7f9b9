using SampleWeb.Identity;
using SampleWeb.Pages;

namespace SampleWeb.Variants;

/// <summary>Where protected pages send anonymous visitors, and the only return URLs the sign-in flow accepts.</summary>
public static class SignInRedirect
{
    /// <summary>
    /// <c>/sign-in?return_url=&lt;this page&gt;</c>, so signing in comes back here; when the Proxy said this browser's
    /// session just ended, the sign-in page also says so (the Proxy has cleared the cookie, so it could not tell).
    /// </summary>
    public static string For(HttpRequest request) =>
        "/sign-in?return_url=" + Uri.EscapeDataString(LocalPath(request.Path + request.QueryString))
        + (request.HttpContext.SessionProblem() == SessionProblem.Ended ? "&notice=" + Messages.SessionEndedNotice : "");

    /// <summary>A local path for return_url: absolute URLs, <c>//host</c>, <c>/\host</c> and control characters become "/".</summary>
    public static string LocalPath(string? value) =>
        string.IsNullOrEmpty(value) || value[0] != '/'
        || (value.Length > 1 && (value[1] == '/' || value[1] == '\\'))
        || value.Any(char.IsControl)
            ? "/"
            : value;
}
