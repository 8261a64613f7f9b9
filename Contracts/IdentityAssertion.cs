namespace Gateway.Contracts;

/// <summary>
/// The identity assertion the SessionApi mints and SampleWeb verifies (sent by the Proxy as <c>X-Gateway-Identity</c>):
/// an ES256 JWT with these issuer and audience values, the session's public id in <see cref="SessionIdClaim"/> and the
/// minted Supabase token in <see cref="SupabaseTokenClaim"/>.
/// </summary>
public static class IdentityAssertion
{
    public const string Issuer = "supabase-gateway";
    public const string Audience = "sampleweb";
    public const string SessionIdClaim = "sid";
    public const string SupabaseTokenClaim = "sb_token";
}
