using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SampleWeb.Identity;

/// <summary>Readiness: without the SessionApi's JWKS no signed-in page can be served.</summary>
public sealed class IdentityKeysHealthCheck(IdentityKeys keys) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        (await keys.GetAsync(null, ct)).Count > 0
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The identity JWKS of the SessionApi could not be loaded.");
}
