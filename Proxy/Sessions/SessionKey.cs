using System.Buffers.Binary;
using System.Security.Cryptography;
using Gateway.Contracts;

namespace Proxy.Sessions;

/// <summary>
/// The cache key of a session: SHA-256 of the cookie value as four machine words. Fixed size and stored inline in
/// the dictionary (no string per entry), and the process never keeps the cookie itself, which is a bearer secret.
/// </summary>
public readonly struct SessionKey : IEquatable<SessionKey>
{
    private readonly ulong _a, _b, _c, _d;

    private SessionKey(ReadOnlySpan<byte> hash)
    {
        _a = BinaryPrimitives.ReadUInt64LittleEndian(hash);
        _b = BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]);
        _c = BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]);
        _d = BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]);
    }

    /// <summary>
    /// False when the value cannot be one of ours (<see cref="SessionCookieFormat.IsPlausible"/>); checks and hashes
    /// in one pass without allocating.
    /// </summary>
    public static bool TryCreate(string cookie, out SessionKey key)
    {
        key = default;
        if (cookie.Length is 0 or > SessionCookieFormat.MaxLength)
        {
            return false;
        }
        Span<byte> ascii = stackalloc byte[SessionCookieFormat.MaxLength];
        for (var i = 0; i < cookie.Length; i++)
        {
            var c = cookie[i];
            if (!SessionCookieFormat.IsAllowedChar(c))
            {
                return false;
            }
            ascii[i] = (byte)c;
        }
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(ascii[..cookie.Length], hash);
        key = new SessionKey(hash);
        return true;
    }

    public bool Equals(SessionKey other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is SessionKey other && Equals(other);

    // The words are uniformly distributed already (a hash), so one of them is a good hash code.
    public override int GetHashCode() => (int)_a;

    public static bool operator ==(SessionKey left, SessionKey right) => left.Equals(right);

    public static bool operator !=(SessionKey left, SessionKey right) => !left.Equals(right);
}
