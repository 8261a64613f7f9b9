namespace SampleWeb.Identity;

/// <summary>Where the keys that sign the Proxy's identity assertions are published.</summary>
public sealed class GatewayIdentityOptions
{
    public const string Section = "Gateway";

    /// <summary>The SessionApi's base URL; its JWKS is at <c>/.well-known/jwks.json</c>. Resolved by service discovery.</summary>
    public string SessionApiUrl { get; set; } = "http://sessionapi";
}
