using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace SupabaseStandIn.GoTrue;

/// <summary>Why a bearer token was refused, in the words GoTrue / PostgREST use.</summary>
public enum JwtProblem { None, Malformed, WrongAlgorithm, UnknownKid, BadSignature, Expired, MissingClaims }

/// <summary>HS256 signing and verification with the project JWT secret, the way GoTrue and PostgREST do it here.</summary>
public sealed class StandInJwt(IOptions<StandInOptions> options, TimeProvider time)
{
    private byte[] Secret => Encoding.UTF8.GetBytes(options.Value.JwtSecret);

    public string Sign(JsonObject claims)
    {
        var header = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8);
        var payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = Base64Url.EncodeToString(HMACSHA256.HashData(Secret, Encoding.ASCII.GetBytes(header + "." + payload)));
        return $"{header}.{payload}.{signature}";
    }

    /// <summary>Verifies signature and time claims (skew in seconds); returns the claims when valid.</summary>
    public JwtProblem Verify(string token, int skewSeconds, out JsonObject? claims)
    {
        claims = null;
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return JwtProblem.Malformed;
        }
        try
        {
            var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))?.AsObject();
            if (header?["alg"]?.GetValue<string>() != "HS256")
            {
                return JwtProblem.WrongAlgorithm;
            }
            if (header.ContainsKey("kid"))
            {
                return JwtProblem.UnknownKid; // the local key set has only the kid-less secret
            }
            var expected = HMACSHA256.HashData(Secret, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
            if (!CryptographicOperations.FixedTimeEquals(expected, Base64Url.DecodeFromChars(parts[2])))
            {
                return JwtProblem.BadSignature;
            }
            claims = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))?.AsObject();
            if (claims is null)
            {
                return JwtProblem.Malformed;
            }
            if (claims["exp"] is JsonValue exp && exp.TryGetValue<long>(out var expSeconds)
                && expSeconds + skewSeconds < time.GetUtcNow().ToUnixTimeSeconds())
            {
                return JwtProblem.Expired;
            }
            return JwtProblem.None;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return JwtProblem.Malformed;
        }
    }
}
