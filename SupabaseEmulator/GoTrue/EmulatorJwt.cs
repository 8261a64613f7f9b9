using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace SupabaseEmulator.GoTrue;

/// <summary>Why a bearer token was refused, in the words GoTrue / PostgREST use.</summary>
public enum JwtProblem { None, Malformed, WrongAlgorithm, UnknownKid, BadSignature, Expired }

/// <summary>HS256 signing and verification with the project JWT secret (the CLI's legacy setup: no kid, docs/supabase-contract.md §2.2).</summary>
public sealed class EmulatorJwt(IOptions<EmulatorOptions> options, TimeProvider time)
{
    private byte[] Secret => Encoding.UTF8.GetBytes(options.Value.JwtSecret);

    public string Sign(JsonObject claims) => Sign(Secret, claims);

    /// <summary>Verifies signature and <c>exp</c> (with <paramref name="skewSeconds"/> of tolerance); returns the claims when valid.</summary>
    public JwtProblem Verify(string token, int skewSeconds, out JsonObject? claims, bool kidFallsBackToSecret = false) =>
        Verify(Secret, token, skewSeconds, time.GetUtcNow().ToUnixTimeSeconds(), out claims, kidFallsBackToSecret);

    public static string Sign(byte[] secret, JsonObject claims)
    {
        var header = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8);
        var payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = Base64Url.EncodeToString(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(header + "." + payload)));
        return $"{header}.{payload}.{signature}";
    }

    /// <summary>
    /// PostgREST refuses any kid it does not know (the secret has none); GoTrue falls back to the secret for HS256
    /// tokens with an unknown kid (<paramref name="kidFallsBackToSecret"/>).
    /// </summary>
    public static JwtProblem Verify(byte[] secret, string token, int skewSeconds, long now, out JsonObject? claims, bool kidFallsBackToSecret = false)
    {
        claims = null;
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return JwtProblem.Malformed;
        }
        try
        {
            if (JsonNode.Parse(Base64Url.DecodeFromChars(parts[0])) is not JsonObject header)
            {
                return JwtProblem.Malformed;
            }
            if (header["alg"] is not JsonValue alg || !alg.TryGetValue<string>(out var algorithm) || algorithm != "HS256")
            {
                return JwtProblem.WrongAlgorithm;
            }
            if (header.ContainsKey("kid") && !kidFallsBackToSecret)
            {
                return JwtProblem.UnknownKid;
            }
            var expected = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
            if (!CryptographicOperations.FixedTimeEquals(expected, Base64Url.DecodeFromChars(parts[2])))
            {
                return JwtProblem.BadSignature;
            }
            if (JsonNode.Parse(Base64Url.DecodeFromChars(parts[1])) is not JsonObject payload)
            {
                return JwtProblem.Malformed;
            }
            if (payload["exp"] is JsonValue exp && exp.TryGetValue<double>(out var expSeconds) && expSeconds + skewSeconds < now)
            {
                return JwtProblem.Expired;
            }
            claims = payload;
            return JwtProblem.None;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return JwtProblem.Malformed;
        }
    }
}
