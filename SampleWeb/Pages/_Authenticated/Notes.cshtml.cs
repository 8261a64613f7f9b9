using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SampleWeb.Identity;
using SampleWeb.Supabase;

namespace SampleWeb.Pages.Authenticated;

/// <summary>
/// The user's private notes, read server-side from Supabase REST with the session's JWT before any HTML is sent:
/// no filter on user_id here — row-level security is what keeps other users' notes out.
/// </summary>
public sealed class NotesModel(SupabaseRest supabase) : PageModel
{
    [BindProperty]
    [Required(ErrorMessage = "Write something first.")]
    [StringLength(5000, ErrorMessage = "Keep notes under 5,000 characters.")]
    public string Body { get; set; } = "";

    public IReadOnlyList<Note> Notes { get; private set; } = [];

    public string? Problem { get; private set; }

    private GatewayUser SignedInUser => HttpContext.GatewayUser()!;

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (ModelState.IsValid)
        {
            var result = await supabase.InsertAsync("notes", new NewNote(Body.Trim()), SignedInUser.SupabaseToken, ct);
            if (WriteOutcome.Redirect(result, Request) is { } redirect)
            {
                return Redirect(redirect);
            }
            Problem = WriteOutcome.Message(result, "note");
        }
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct) =>
        Notes = await supabase.SelectAsync<Note>("notes?select=*&order=created_at.desc", SignedInUser.SupabaseToken, ct);
}
