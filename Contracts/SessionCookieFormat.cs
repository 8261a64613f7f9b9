using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace Gateway.Contracts;

/// <summary>
/// The session cookie's value, the one rule both services apply. The SessionApi issues
/// "&lt;id&gt;.&lt;secret&gt;", each <see cref="PartBytes"/> random bytes in base64url (<see cref="PartChars"/> chars).
/// The Proxy treats the value as opaque and only refuses what cannot be a cookie of this gateway
/// (<see cref="IsPlausible"/>: 1–<see cref="MaxLength"/> ASCII letters, digits, '-', '_' or '.'), so the layout can
/// change without a Proxy release; the SessionApi parses the exact layout (<see cref="TryParse"/>).
/// </summary>
public static class SessionCookieFormat
{
    public const int PartBytes = 32;
    public const int PartChars = 43;
    public const char Separator = '.';

    /// <summary>Longest value either service accepts.</summary>
    public const int MaxLength = 128;

    /// <summary>A character a cookie value may hold (base64url plus the separator).</summary>
    public static bool IsAllowedChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or Separator;

    /// <summary>Whether the value could be a cookie of this gateway (length and characters); anything else is never looked up.</summary>
    public static bool IsPlausible(ReadOnlySpan<char> value)
    {
        if (value.Length is 0 or > MaxLength)
        {
            return false;
        }
        foreach (var c in value)
        {
            if (!IsAllowedChar(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A new value: fresh random id and secret.</summary>
    public static string Create(out byte[] id, out byte[] secret)
    {
        id = RandomNumberGenerator.GetBytes(PartBytes);
        secret = RandomNumberGenerator.GetBytes(PartBytes);
        return Format(id, secret);
    }

    public static string Format(ReadOnlySpan<byte> id, ReadOnlySpan<byte> secret) =>
        $"{Base64Url.EncodeToString(id)}{Separator}{Base64Url.EncodeToString(secret)}";

    /// <summary>The id and secret of a value in the exact layout the SessionApi issues; false for anything else.</summary>
    public static bool TryParse(string? value, out byte[] id, out byte[] secret)
    {
        id = [];
        secret = [];
        if (value is null || value.Length != 2 * PartChars + 1 || value[PartChars] != Separator || !IsPlausible(value))
        {
            return false;
        }
        var idBytes = new byte[PartBytes];
        var secretBytes = new byte[PartBytes];
        if (Base64Url.DecodeFromChars(value.AsSpan(0, PartChars), idBytes, out _, out var idWritten) != OperationStatus.Done || idWritten != PartBytes
            || Base64Url.DecodeFromChars(value.AsSpan(PartChars + 1), secretBytes, out _, out var secretWritten) != OperationStatus.Done || secretWritten != PartBytes)
        {
            return false;
        }
        id = idBytes;
        secret = secretBytes;
        return true;
    }
}
