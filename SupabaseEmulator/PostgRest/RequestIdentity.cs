using System.Text.Json.Nodes;
using SupabaseEmulator.GoTrue;

namespace SupabaseEmulator.PostgRest;

/// <summary>Who a PostgREST request runs as: the JWT's claims and role, or anon when no token was sent.</summary>
public sealed record RequestIdentity(JsonObject Claims, string Role, bool JwtSent)
{
    /// <summary>
    /// docs/supabase-contract.md §3.1: no Authorization (or one without the Bearer scheme) → anon; a valid kid-less HS256 JWT → its <c>role</c> claim (anon when absent);
    /// anything else (bad signature, <c>sb_publishable_...</c>, unknown kid) → 401 PGRST301; expired beyond a 30 s
    /// skew → 401 PGRST303.
    /// </summary>
    public static (RequestIdentity? Identity, IResult? Problem) FromRequest(HttpContext context, EmulatorJwt jwt)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.Equals("Bearer", StringComparison.OrdinalIgnoreCase) && !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return (new RequestIdentity(new JsonObject { ["role"] = "anon" }, "anon", false), null);
        }
        var token = header[6..].Trim();
        if (token.Length == 0)
        {
            return (null, PostgRestErrors.Jwt(context, "PGRST301", "Empty JWT is sent in Authorization header"));
        }
        var parts = token.Split('.').Length;
        switch (jwt.Verify(token, 30, out var claims))
        {
            case JwtProblem.None:
                var role = claims!["role"] is JsonValue value && value.TryGetValue<string>(out var r) && r.Length > 0 ? r : "anon";
                return (new RequestIdentity(claims, role, true), null);
            case JwtProblem.Expired:
                return (null, PostgRestErrors.Jwt(context, "PGRST303", "JWT expired"));
            case JwtProblem.Malformed when parts != 3:
                return (null, PostgRestErrors.Jwt(context, "PGRST301", $"Expected 3 parts in JWT; got {parts}"));
            case JwtProblem.UnknownKid:
                return (null, PostgRestErrors.Jwt(context, "PGRST301", "No suitable key or wrong key type"));
            case JwtProblem.WrongAlgorithm:
                return (null, PostgRestErrors.Jwt(context, "PGRST301", "Wrong or unsupported encoding algorithm"));
            default:
                return (null, PostgRestErrors.Jwt(context, "PGRST301", "JWT cryptographic operation failed"));
        }
    }
}
