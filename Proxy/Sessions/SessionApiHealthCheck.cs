using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Proxy.Sessions;

/// <summary>Readiness: the SessionApi answers its liveness endpoint.</summary>
internal sealed class SessionApiHealthCheck(SessionApiClient sessionApi) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await sessionApi.Http.GetAsync("alive", cancellationToken);
            return response.IsSuccessStatusCode ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"SessionApi answered {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy("SessionApi unreachable: " + e.Message);
        }
    }
}
