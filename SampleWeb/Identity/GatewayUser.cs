namespace SampleWeb.Identity;

/// <summary>Who the Proxy says the user is, after the assertion's signature, issuer, audience and lifetime checked out.</summary>
/// <param name="UserId">Supabase user id (<c>sub</c>).</param>
/// <param name="SessionId">The gateway's public session id (<c>sid</c>), as listed in the sessions table.</param>
/// <param name="SupabaseToken">The session's minted Supabase JWT, for server-side REST calls under RLS.</param>
public sealed record GatewayUser(string UserId, string SessionId, string Email, string SupabaseToken)
{
    // Keep the token out of logs and exception pages.
    public override string ToString() => $"GatewayUser {{ UserId = {UserId}, SessionId = {SessionId} }}";
}

/// <summary>Why a visitor who sent a session cookie is nevertheless shown the signed-out pages.</summary>
public enum SessionProblem
{
    None,
    /// <summary>The Proxy says the cookie's session ended (signed out, revoked, expired).</summary>
    Ended,
    /// <summary>The session service (or its signing keys) could not be reached.</summary>
    Unavailable,
}

public static class GatewayUserHttpContextExtensions
{
    private static readonly object UserKey = new();
    private static readonly object ProblemKey = new();

    /// <summary>The verified user, or null for an anonymous request.</summary>
    public static GatewayUser? GatewayUser(this HttpContext context) => context.Items[UserKey] as GatewayUser;

    public static SessionProblem SessionProblem(this HttpContext context) =>
        context.Items[ProblemKey] is SessionProblem problem ? problem : Identity.SessionProblem.None;

    internal static bool IsIdentified(this HttpContext context) => context.Items.ContainsKey(ProblemKey);

    internal static void SetGatewayUser(this HttpContext context, GatewayUser user) => context.Items[UserKey] = user;

    internal static void SetSessionProblem(this HttpContext context, SessionProblem problem) => context.Items[ProblemKey] = problem;
}
