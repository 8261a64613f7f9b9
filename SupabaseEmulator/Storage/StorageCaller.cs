using System.Text.Json.Nodes;
using SupabaseEmulator.GoTrue;
using SupabaseEmulator.PostgRest;

namespace SupabaseEmulator.Storage;

/// <summary>
/// Who a Storage request runs as. storage-api needs an Authorization header on every authenticated route (the
/// API gateway supplies the anon key's JWT when the client sent only the apikey) and runs its statements as the
/// token's role with its claims, like PostgREST (<see cref="RequestIdentity"/>).
/// </summary>
public static class StorageCaller
{
    public static (RequestIdentity? Identity, IResult? Problem) FromRequest(HttpContext context, EmulatorJwt jwt)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header[7..].Trim().Length == 0)
        {
            return (null, StorageErrors.Error(400, "InvalidRequest", "headers must have required property 'authorization'", "Error"));
        }
        switch (jwt.Verify(header[7..].Trim(), 0, out var claims))
        {
            case JwtProblem.None:
                var role = claims!["role"] is JsonValue value && value.TryGetValue<string>(out var r) && r is "anon" or "authenticated" or "service_role" ? r : "anon";
                return (new RequestIdentity(claims, role, true), null);
            case JwtProblem.Expired:
                return (null, StorageErrors.InvalidJwt("\"exp\" claim timestamp check failed"));
            case JwtProblem.BadSignature:
                return (null, StorageErrors.InvalidJwt("signature verification failed"));
            default:
                return (null, StorageErrors.InvalidJwt("Invalid Compact JWS"));
        }
    }

    /// <summary>The uploader recorded as owner/owner_id: the token's sub (none for the anon and service keys).</summary>
    public static string? Subject(RequestIdentity identity) =>
        identity.Claims["sub"] is JsonValue value && value.TryGetValue<string>(out var sub) && sub.Length > 0 ? sub : null;
}
