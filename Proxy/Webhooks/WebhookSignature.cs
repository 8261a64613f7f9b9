using System.Security.Cryptography;
using System.Text;

namespace Proxy.Webhooks;

public enum WebhookVerdict
{
    Valid,
    MissingHeaders,
    MalformedTimestamp,
    TimestampOutOfTolerance,
    BadSignature,
}

/// <summary>
/// Standard Webhooks (the scheme GoTrue's HTTP hooks use): HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}",
/// sent as "v1,&lt;base64&gt;" in webhook-signature (several space-separated signatures during a key rotation).
/// </summary>
public static class WebhookSignature
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    /// <summary>The key bytes of "whsec_&lt;base64&gt;" (or "v1,whsec_…"); null when malformed or too short/long.</summary>
    public static byte[]? DecodeSecret(string secret)
    {
        var value = secret.Trim();
        if (value.StartsWith("v1,", StringComparison.Ordinal))
        {
            value = value[3..];
        }
        if (!value.StartsWith("whsec_", StringComparison.Ordinal))
        {
            return null;
        }
        var key = new byte[value.Length];
        return Convert.TryFromBase64String(value[6..], key, out var length) && length is >= 16 and <= 64 ? key[..length] : null;
    }

    public static string Sign(byte[] key, string id, long timestamp, ReadOnlySpan<byte> body) =>
        "v1," + Convert.ToBase64String(Mac(key, id, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), body));

    public static WebhookVerdict Verify(byte[] key, string? id, string? timestamp, string? signatures, ReadOnlySpan<byte> body,
        DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatures) || id.Length > 256)
        {
            return WebhookVerdict.MissingHeaders;
        }
        if (timestamp.Length > 12 || !long.TryParse(timestamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            return WebhookVerdict.MalformedTimestamp;
        }
        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > tolerance.TotalSeconds)
        {
            return WebhookVerdict.TimestampOutOfTolerance;
        }
        var expected = Mac(key, id, timestamp, body);
        Span<byte> presented = stackalloc byte[64];
        foreach (var candidate in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (candidate.StartsWith("v1,", StringComparison.Ordinal) && candidate.Length <= 3 + 88
                && Convert.TryFromBase64String(candidate[3..], presented, out var length)
                && CryptographicOperations.FixedTimeEquals(presented[..length], expected))
            {
                return WebhookVerdict.Valid;
            }
        }
        return WebhookVerdict.BadSignature;
    }

    private static byte[] Mac(byte[] key, string id, string timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.UTF8.GetBytes($"{id}.{timestamp}."));
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}
