using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SessionApi.Tokens;

/// <summary>
/// Compact JWS (HS256 without kid, ES256 with its kid) from a claim set, by JsonWebTokenHandler: header
/// {"alg","kid"?,"typ":"JWT"}, ES256 signatures in the JOSE r||s form, the claims exactly as given (no default times).
/// </summary>
public sealed class JwtSigner(SigningCredentials credentials)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public string Sign(JsonObject claims) => Handler.CreateToken(claims.ToJsonString(), credentials);
}
