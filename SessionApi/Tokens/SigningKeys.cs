using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using SessionApi.Options;

namespace SessionApi.Tokens;

/// <summary>
/// The keys the SessionApi alone holds: the Supabase signing key (HS256 secret without kid, or ES256 with kid)
/// and the ES256 key of the identity assertions for SampleWeb.
/// </summary>
public sealed class SigningKeys
{
    public SigningKeys(IOptions<JwtOptions> jwt, IOptions<IdentityOptions> identity, ILogger<SigningKeys> logger)
    {
        var options = jwt.Value;
        if (!string.IsNullOrEmpty(options.Secret))
        {
            // No KeyId: the header then has no "kid", which the local CLI stack's PostgREST requires.
            Supabase = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.Secret)), SecurityAlgorithms.HmacSha256);
        }
        else
        {
            var key = ECDsa.Create();
            key.ImportFromPem(options.SigningKeyPem);
            SupabasePublic = new ECDsaSecurityKey(key) { KeyId = options.KeyId };
            Supabase = new SigningCredentials(SupabasePublic, SecurityAlgorithms.EcdsaSha256);
        }

        var identityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var identityKeyId = identity.Value.KeyId;
        if (string.IsNullOrEmpty(identity.Value.SigningKeyPem))
        {
            identityKeyId = "ephemeral-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
            logger.LogWarning("Identity:SigningKeyPem is not set: identity assertions for SampleWeb use an ephemeral key ({KeyId}). " +
                "Set Identity:SigningKeyPem and Identity:KeyId when running more than one SessionApi replica.", identityKeyId);
        }
        else
        {
            identityKey.ImportFromPem(identity.Value.SigningKeyPem);
        }
        IdentityPublic = new ECDsaSecurityKey(identityKey) { KeyId = identityKeyId };
        Identity = new SigningCredentials(IdentityPublic, SecurityAlgorithms.EcdsaSha256);
    }

    public SigningCredentials Supabase { get; }

    /// <summary>Set when Supabase tokens are ES256 (published in the JWKS).</summary>
    public ECDsaSecurityKey? SupabasePublic { get; }

    public SigningCredentials Identity { get; }

    public ECDsaSecurityKey IdentityPublic { get; }

    /// <summary>The public keys as a JWKS document (never the HS256 secret).</summary>
    public object Jwks()
    {
        var keys = new List<object>();
        foreach (var key in new[] { SupabasePublic, IdentityPublic })
        {
            if (key is null)
            {
                continue;
            }
            var parameters = key.ECDsa.ExportParameters(includePrivateParameters: false);
            keys.Add(new Dictionary<string, string>
            {
                ["kty"] = "EC",
                ["crv"] = "P-256",
                ["alg"] = "ES256",
                ["use"] = "sig",
                ["kid"] = key.KeyId,
                ["x"] = Base64UrlEncoder.Encode(parameters.Q.X),
                ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
            });
        }
        return new { keys };
    }
}
