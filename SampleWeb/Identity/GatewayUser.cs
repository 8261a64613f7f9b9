namespace SampleWeb.Identity;

/// <summary>Who the Proxy says the user is, after the assertion's signature, issuer, audience and lifetime checked out.</summary>
public sealed record GatewayUser(string UserId, string SessionId, string Email, string SupabaseToken);

public static class GatewayUserHttpContextExtensions
{
    private const string Key = "gateway.user";

    public static GatewayUser? GatewayUser(this HttpContext context) => context.Items[Key] as GatewayUser;

    internal static void SetGatewayUser(this HttpContext context, GatewayUser user) => context.Items[Key] = user;

    /// <summary>"ended" or "unavailable" when the browser sent a session cookie the Proxy could not honour.</summary>
    public static string? GatewaySessionProblem(this HttpContext context) =>
        context.Request.Headers["X-Gateway-Session"].ToString() is { Length: > 0 } state ? state : null;
}
