using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SessionApi.Sessions;

/// <summary>AES-256-GCM under a key derived (HKDF-SHA256) from the session's cookie secret.</summary>
public static class SecretBox
{
    private static readonly byte[] Info = "supabase-gateway/refresh-token/v1"u8.ToArray();

    public static string Seal(string plaintext, byte[] cookieSecret, string sessionKey)
    {
        var key = DeriveKey(cookieSecret, sessionKey);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var data = Encoding.UTF8.GetBytes(plaintext);
        var cipher = new byte[data.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(key, 16))
        {
            aes.Encrypt(nonce, data, cipher, tag, Encoding.ASCII.GetBytes(sessionKey));
        }
        return Base64Url.EncodeToString([.. nonce, .. tag, .. cipher]);
    }

    /// <summary>Null when the secret is wrong (authentication tag mismatch) or the box is damaged.</summary>
    public static string? Open(string sealedValue, byte[] cookieSecret, string sessionKey)
    {
        byte[] box;
        try
        {
            box = Base64Url.DecodeFromChars(sealedValue);
        }
        catch (FormatException)
        {
            return null;
        }
        if (box.Length < 28)
        {
            return null;
        }
        var plain = new byte[box.Length - 28];
        try
        {
            using var aes = new AesGcm(DeriveKey(cookieSecret, sessionKey), 16);
            aes.Decrypt(box.AsSpan(0, 12), box.AsSpan(28), box.AsSpan(12, 16), plain, Encoding.ASCII.GetBytes(sessionKey));
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        return Encoding.UTF8.GetString(plain);
    }

    private static byte[] DeriveKey(byte[] cookieSecret, string sessionKey) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, cookieSecret, 32, Encoding.ASCII.GetBytes(sessionKey), Info);
}
