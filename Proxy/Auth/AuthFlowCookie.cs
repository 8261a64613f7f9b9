using System.Buffers.Text;
using System.Text;
using Proxy.Cookies;

namespace Proxy.Auth;

/// <summary>What a gateway-started PKCE flow needs at its callback: the verifier, the email-link type and where the app wanted to go.</summary>
public sealed record AuthFlowState(string Verifier, string? Type, string Next);

/// <summary>
/// The short-lived cookie that binds a gateway-started PKCE flow to the browser that started it: one per flow
/// (named after the flow id, so parallel flows do not overwrite each other), HttpOnly, SameSite=Lax (the callback is
/// a top-level navigation from Supabase's domain), sent only to the callback path. Holding it is what lets a
/// browser turn the flow's auth code into a session; a link opened in another browser has no cookie and fails.
/// </summary>
public sealed class AuthFlowCookie(SessionCookiePolicy sessionCookie)
{
    public const string CallbackPath = "/edge/v1/auth/callback";
    private const string BaseName = "sb-flow-";
    private const string CancelledItem = "gateway.auth-flow-cancelled";

    /// <summary>The flow started for this request will never come back (e.g. a sign-up answered with a session at once): set no cookie.</summary>
    public static void Cancel(HttpContext context) => context.Items[CancelledItem] = true;

    /// <summary>Flow ids are 16 random bytes, base64url.</summary>
    public static bool IsFlowId(string? id) => id is { Length: 22 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public void Write(HttpContext context, string flowId, AuthFlowState state, TimeSpan lifetime)
    {
        var value = string.Join('.', state.Verifier, Encode(state.Type ?? ""), Encode(state.Next));
        var name = NameFor(context.Request, flowId);
        var attributes = Attributes(context.Request, lifetime);
        // Added when the answer starts: the forwarder drops every Set-Cookie it received from Supabase before that.
        context.Response.OnStarting(() =>
        {
            if (!context.Items.ContainsKey(CancelledItem))
            {
                context.Response.Cookies.Append(name, value, attributes);
            }
            return Task.CompletedTask;
        });
    }

    /// <summary>The flow's state, or null when this browser has no (readable) cookie for it. The cookie is cleared either way.</summary>
    public AuthFlowState? Take(HttpContext context, string flowId)
    {
        var name = NameFor(context.Request, flowId);
        var value = SessionCookiePolicy.ValuesNamed(context.Request, name).FirstOrDefault();
        context.Response.Cookies.Delete(name, Attributes(context.Request, null));
        var parts = value?.Split('.');
        if (parts is not { Length: 3 } || parts[0].Length != 43 || Decode(parts[1]) is not { } type || Decode(parts[2]) is not { Length: > 0 } next)
        {
            return null;
        }
        return new AuthFlowState(parts[0], type.Length == 0 ? null : type, next);
    }

    // "__Host-" would force Path=/; "__Secure-" keeps the callback-only path on HTTPS sites.
    private string NameFor(HttpRequest request, string flowId) => (sessionCookie.UsesHostPrefix(request) ? "__Secure-" : "") + BaseName + flowId;

    private CookieOptions Attributes(HttpRequest request, TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        Secure = sessionCookie.SecureFor(request),
        SameSite = SameSiteMode.Lax,
        Path = CallbackPath,
        MaxAge = maxAge,
    };

    private static string Encode(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    private static string? Decode(string text)
    {
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
