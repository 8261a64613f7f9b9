using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace SessionApi.Tokens;

/// <summary>
/// Compact JWS (HS256 or ES256) written straight from the claim set: the header is encoded once per key, the claims
/// are serialized once into a reused buffer and signed with the raw key (no JSON round trip through a token
/// handler, no per-token key lookup). Equivalent to JsonWebTokenHandler.CreateToken for these two algorithms
/// (header {"alg","kid"?,"typ":"JWT"}; ES256 signatures in the JOSE r||s form).
/// </summary>
public sealed class JwtSigner
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    private readonly byte[] _encodedHeader;
    private readonly byte[]? _hmacKey;
    private readonly ECDsa? _ecdsa;

    public JwtSigner(SigningCredentials credentials)
    {
        string header;
        switch (credentials.Key)
        {
            case SymmetricSecurityKey symmetric when credentials.Algorithm == SecurityAlgorithms.HmacSha256:
                _hmacKey = symmetric.Key;
                header = Header("HS256", symmetric.KeyId);
                break;
            case ECDsaSecurityKey ec when credentials.Algorithm == SecurityAlgorithms.EcdsaSha256:
                _ecdsa = ec.ECDsa;
                header = Header("ES256", ec.KeyId);
                break;
            default:
                throw new NotSupportedException($"Only HS256 and ES256 keys are used here, not {credentials.Algorithm}.");
        }
        _encodedHeader = Encoding.ASCII.GetBytes(Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header)) + ".");
    }

    public string Sign(JsonObject claims)
    {
        var payload = t_buffer ??= new ArrayBufferWriter<byte>(2048);
        payload.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(payload))
        {
            claims.WriteTo(writer);
        }
        return Sign(payload.WrittenSpan);
    }

    public string Sign(ReadOnlySpan<byte> payloadJson)
    {
        var signatureLength = _hmacKey is not null ? HMACSHA256.HashSizeInBytes : 64;
        var length = _encodedHeader.Length + Base64Url.GetEncodedLength(payloadJson.Length) + 1 + Base64Url.GetEncodedLength(signatureLength);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var token = rented.AsSpan(0, length);
            _encodedHeader.CopyTo(token);
            var signingInputLength = _encodedHeader.Length + Base64Url.EncodeToUtf8(payloadJson, token[_encodedHeader.Length..]);
            Span<byte> signature = stackalloc byte[64];
            var written = _hmacKey is not null
                ? HMACSHA256.HashData(_hmacKey, token[..signingInputLength], signature)
                : _ecdsa!.SignData(token[..signingInputLength], signature, HashAlgorithmName.SHA256);
            token[signingInputLength] = (byte)'.';
            var total = signingInputLength + 1 + Base64Url.EncodeToUtf8(signature[..written], token[(signingInputLength + 1)..]);
            return Encoding.ASCII.GetString(token[..total]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static string Header(string alg, string? kid) => string.IsNullOrEmpty(kid)
        ? $$"""{"alg":"{{alg}}","typ":"JWT"}"""
        : $$"""{"alg":"{{alg}}","kid":{{JsonSerializer.Serialize(kid)}},"typ":"JWT"}""";
}
