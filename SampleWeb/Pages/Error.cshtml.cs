using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SampleWeb.Supabase;
using SampleWeb.Variants;

namespace SampleWeb.Pages;

/// <summary>
/// The one error page, for unhandled exceptions (UseExceptionHandler) and empty error responses (status code
/// pages): a friendly explanation and a way on, never a stack trace, in every environment.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class ErrorModel(ILogger<ErrorModel> logger) : PageModel
{
    public int Status { get; private set; }

    public string Heading { get; private set; } = "";

    public string Explanation { get; private set; } = "";

    public string RetryPath { get; private set; } = "/";

    public void OnGet(int? status) => Describe(status);

    // Errors in POST handlers are re-executed as POST.
    public void OnPost(int? status) => Describe(status);

    private void Describe(int? status)
    {
        var failure = HttpContext.Features.Get<IExceptionHandlerPathFeature>();
        var original = HttpContext.Features.Get<IStatusCodeReExecuteFeature>();
        RetryPath = SignInRedirect.LocalPath(failure?.Path ?? original?.OriginalPath);
        Status = failure?.Error is SupabaseUnavailableException ? StatusCodes.Status503ServiceUnavailable
            : status is >= 400 and < 600 ? status.Value
            : StatusCodes.Status500InternalServerError;
        if (failure?.Error is { } error)
        {
            logger.LogError(error, "Showing the error page for {Path}", failure.Path);
        }
        Response.StatusCode = Status;
        (Heading, Explanation) = Status switch
        {
            404 => ("Page not found", "There is nothing at this address. It may have been moved or deleted."),
            400 => ("That did not work", "The form may have expired. Go back, reload the page and try again."),
            403 => ("Not allowed", "You do not have access to this page."),
            503 => ("We could not load this page", "A service this page depends on (the database) is unavailable right now. Please try again in a moment."),
            _ => ("Something went wrong", "We could not complete your request. Please try again in a moment."),
        };
    }
}
