using Microsoft.AspNetCore.Mvc.RazorPages;
using SampleWeb.Identity;
using SampleWeb.Supabase;

namespace SampleWeb.Pages.Authenticated;

/// <summary>The user's live sessions, read from the sessions table with their own token (RLS: own rows only).</summary>
public sealed class AccountModel(SupabaseRest supabase, TimeProvider time) : PageModel
{
    public IReadOnlyList<SessionRow> Sessions { get; private set; } = [];

    public string Email { get; private set; } = "";

    private string CurrentSessionId { get; set; } = "";

    public bool IsCurrent(SessionRow session) =>
        string.Equals(session.Id.ToString(), CurrentSessionId, StringComparison.OrdinalIgnoreCase);

    public async Task OnGetAsync(CancellationToken ct)
    {
        var user = HttpContext.GatewayUser()!;
        (Email, CurrentSessionId) = (user.Email, user.SessionId);
        var sessions = await supabase.SelectAsync<SessionRow>("sessions?select=*&revoked_at=is.null&order=created_at.desc", user.SupabaseToken, ct);
        // The mirror may lag the gateway by a moment; expired rows are not sessions any more.
        var now = time.GetUtcNow();
        Sessions = [.. sessions.Where(s => s.ExpiresAt > now).OrderByDescending(IsCurrent)];
    }
}
