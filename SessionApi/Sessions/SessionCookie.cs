using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Gateway.Contracts;

namespace SessionApi.Sessions;

/// <summary>
/// A parsed cookie value (format: <see cref="SessionCookieFormat"/>). Redis only ever sees SHA-256(id) (the lookup
/// key); the secret never leaves the cookie and keys the encryption of the refresh token.
/// </summary>
public sealed class SessionCookie
{
    private SessionCookie(byte[] id, byte[] secret, string value)
    {
        Id = id;
        Secret = secret;
        Value = value;
        Key = System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(id));
    }

    public byte[] Id { get; }
    public byte[] Secret { get; }

    /// <summary>base64url(SHA-256(id)): the only form of the id stored server-side.</summary>
    public string Key { get; }

    public string Value { get; }

    public static SessionCookie CreateNew()
    {
        var value = SessionCookieFormat.Create(out var id, out var secret);
        return new SessionCookie(id, secret, value);
    }

    public static bool TryParse(string? value, [NotNullWhen(true)] out SessionCookie? cookie)
    {
        cookie = SessionCookieFormat.TryParse(value, out var id, out var secret) ? new SessionCookie(id, secret, value!) : null;
        return cookie is not null;
    }
}
