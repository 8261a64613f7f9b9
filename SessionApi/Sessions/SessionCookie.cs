using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace SessionApi.Sessions;

/// <summary>
/// The cookie value: "&lt;id&gt;.&lt;secret&gt;", 32 random bytes each, base64url. Redis only ever sees SHA-256(id)
/// (the lookup key); the secret never leaves the cookie and keys the encryption of the refresh token.
/// </summary>
public sealed class SessionCookie
{
    private const int PartBytes = 32;
    private const int PartChars = 43;

    private SessionCookie(byte[] id, byte[] secret)
    {
        Id = id;
        Secret = secret;
        Key = Base64Url.EncodeToString(SHA256.HashData(id));
    }

    public byte[] Id { get; }
    public byte[] Secret { get; }

    /// <summary>base64url(SHA-256(id)): the only form of the id stored server-side.</summary>
    public string Key { get; }

    public string Value => $"{Base64Url.EncodeToString(Id)}.{Base64Url.EncodeToString(Secret)}";

    public static SessionCookie CreateNew() => new(RandomNumberGenerator.GetBytes(PartBytes), RandomNumberGenerator.GetBytes(PartBytes));

    public static bool TryParse(string? value, [NotNullWhen(true)] out SessionCookie? cookie)
    {
        cookie = null;
        if (value is null || value.Length != 2 * PartChars + 1 || value[PartChars] != '.')
        {
            return false;
        }
        var id = new byte[PartBytes];
        var secret = new byte[PartBytes];
        if (Base64Url.DecodeFromChars(value.AsSpan(0, PartChars), id, out _, out var idBytes) != System.Buffers.OperationStatus.Done || idBytes != PartBytes
            || Base64Url.DecodeFromChars(value.AsSpan(PartChars + 1), secret, out _, out var secretBytes) != System.Buffers.OperationStatus.Done || secretBytes != PartBytes)
        {
            return false;
        }
        cookie = new SessionCookie(id, secret);
        return true;
    }
}
