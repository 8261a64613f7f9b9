using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SupabaseEmulator.Realtime;

/// <summary>Outcome of checking a token the way Realtime does (docs/supabase-contract.md §4.1, §4.3): claims when valid, else Realtime's words.</summary>
public sealed record JwtCheck(JsonObject? Claims, string? ErrorCode, string? Error)
{
    public bool IsValid => Claims is not null;

    public long? Exp => Claims?["exp"] is JsonValue exp && exp.TryGetValue<long>(out var seconds) ? seconds : null;

    /// <summary>"Code: text", the form of a join error's <c>reason</c>.</summary>
    public string Reason => $"{ErrorCode}: {Error}";
}

/// <summary>HS256 verification with the project JWT secret, plus Kong's mapping of the new API keys to legacy JWTs.</summary>
public sealed class RealtimeJwt
{
    public const string DefaultSecret = "super-secret-jwt-token-with-at-least-32-characters-long";
    public const string DefaultPublishableKey = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH";
    public const string DefaultSecretKey = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz";

    private readonly byte[] _secret;
    private readonly string _publishableKey;
    private readonly string _secretKey;
    private readonly TimeProvider _time;

    public RealtimeJwt(IConfiguration configuration, TimeProvider time)
    {
        _secret = Encoding.UTF8.GetBytes(configuration["Emulator:JwtSecret"] is { Length: > 0 } secret ? secret : DefaultSecret);
        _publishableKey = configuration["Emulator:PublishableKey"] is { Length: > 0 } publishable ? publishable : DefaultPublishableKey;
        _secretKey = configuration["Emulator:SecretKey"] is { Length: > 0 } secretKey ? secretKey : DefaultSecretKey;
        _time = time;
        // The CLI's legacy keys: same claims, signed with this secret (equal to the well-known values for the default secret).
        AnonKey = Sign(new JsonObject { ["iss"] = "supabase-demo", ["role"] = "anon", ["exp"] = 1983812996 });
        ServiceRoleKey = Sign(new JsonObject { ["iss"] = "supabase-demo", ["role"] = "service_role", ["exp"] = 1983812996 });
    }

    public string AnonKey { get; }

    public string ServiceRoleKey { get; }

    /// <summary>What the API gateway forwards for an <c>apikey</c>: new-format keys become the matching legacy JWT.</summary>
    public string? GatewayKey(string? apiKey) =>
        apiKey == _publishableKey ? AnonKey : apiKey == _secretKey ? ServiceRoleKey : apiKey;

    public long Now => _time.GetUtcNow().ToUnixTimeSeconds();

    public JwtCheck Check(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return new JwtCheck(null, "InvalidJWTToken", "API key is missing");
        }
        var parts = token.Split('.');
        if (parts.Length != 3 || Decode(parts[0]) is not JsonObject header || Decode(parts[1]) is not JsonObject claims ||
            !TryBase64Url(parts[2], out var signature))
        {
            return new JwtCheck(null, "MalformedJWT", "The token provided is not a valid JWT");
        }
        if (header["alg"]?.GetValueKind() != JsonValueKind.String || (string?)header["alg"] != "HS256" ||
            !CryptographicOperations.FixedTimeEquals(signature, HMACSHA256.HashData(_secret, Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"))))
        {
            return new JwtCheck(null, "JwtSignatureError", "Failed to validate JWT signature");
        }
        if (claims["role"] is null || claims["exp"] is not JsonValue exp || !exp.TryGetValue<long>(out var expires))
        {
            return new JwtCheck(null, "InvalidJWTToken", "Fields `role` and `exp` are required in JWT");
        }
        var now = Now;
        if (expires <= now)
        {
            return new JwtCheck(null, "InvalidJWTToken", $"Token has expired {now - expires} seconds ago");
        }
        return new JwtCheck(claims, null, null);
    }

    private string Sign(JsonObject claims)
    {
        var header = Base64Url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8.ToArray());
        var payload = Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = HMACSHA256.HashData(_secret, Encoding.ASCII.GetBytes($"{header}.{payload}"));
        return $"{header}.{payload}.{Base64Url(signature)}";
    }

    private static JsonNode? Decode(string part)
    {
        if (!TryBase64Url(part, out var bytes))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool TryBase64Url(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Length % 4 == 1)
        {
            return false;
        }
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        try
        {
            bytes = Convert.FromBase64String(padded);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
