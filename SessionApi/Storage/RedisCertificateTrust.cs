using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using StackExchange.Redis;

namespace SessionApi.Storage;

/// <summary>Which Redis server certificates are trusted beyond the machine's trust store (see <see cref="RedisRegistration"/>).</summary>
internal sealed record RedisCertificateTrust(string? CaCertificatePath, bool TrustDevCertificate, bool AllowUntrustedCertificate)
{
    /// <summary>The ASP.NET Core HTTPS development certificate carries this private extension (what `dotnet dev-certs` looks for).</summary>
    private const string AspNetDevCertificateOid = "1.3.6.1.4.1.311.84.1.1";

    public static RedisCertificateTrust FromConfiguration(IConfiguration configuration, IHostEnvironment environment)
    {
        var section = RedisRegistration.SettingsSection;
        var caPath = configuration[$"{section}:CaCertificatePath"];
        if (!string.IsNullOrWhiteSpace(caPath) && !File.Exists(caPath))
        {
            throw new InvalidOperationException($"Setting '{section}:CaCertificatePath' names a file that does not exist: '{caPath}'.");
        }
        var development = environment.IsDevelopment();
        return new(
            string.IsNullOrWhiteSpace(caPath) ? null : caPath,
            development && (configuration.GetValue<bool?>($"{section}:TrustDevCertificate") ?? true),
            development && configuration.GetValue<bool>($"{section}:AllowUntrustedCertificate"));
    }

    public void Apply(ConfigurationOptions options)
    {
        if (CaCertificatePath is not null)
        {
            options.TrustIssuer(CaCertificatePath);
        }
        else if (AllowUntrustedCertificate || TrustDevCertificate)
        {
            options.CertificateValidation += (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None
                || AllowUntrustedCertificate
                || (errors == SslPolicyErrors.RemoteCertificateChainErrors && IsUsableDevCertificate(certificate));
        }
    }

    private static bool IsUsableDevCertificate(X509Certificate? certificate) =>
        certificate is X509Certificate2 cert
        && cert.Extensions.Any(extension => extension.Oid?.Value == AspNetDevCertificateOid)
        && cert.NotBefore <= DateTime.Now && DateTime.Now <= cert.NotAfter;
}
