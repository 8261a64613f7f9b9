using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Contracts;
using Microsoft.Extensions.Options;
using SessionApi.Options;

namespace SessionApi.Supabase;

/// <summary>What became of a refresh-token grant.</summary>
public abstract record GoTrueRefreshResult
{
    /// <summary>GoTrue issued a new session (and rotated the refresh token).</summary>
    public sealed record Refreshed(GoTrueSession Session) : GoTrueRefreshResult;

    /// <summary>GoTrue refused the refresh token for good (revoked, reused, expired session, banned user).</summary>
    public sealed record Refused(int Status, string? Code) : GoTrueRefreshResult;

    /// <summary>GoTrue could not answer (down, 5xx, 429, timeout): try again later, keep the session.</summary>
    public sealed record Unavailable(string Reason) : GoTrueRefreshResult;
}

/// <summary>The two GoTrue calls the SessionApi makes itself (docs/supabase-contract.md §1.4 refresh grant, §1.6 logout).</summary>
public sealed class GoTrueClient(HttpClient http, IOptions<SupabaseOptions> options, ILogger<GoTrueClient> logger)
{
    private string AuthUrl => options.Value.Url.TrimEnd('/') + "/auth/v1";

    public async Task<GoTrueRefreshResult> RefreshAsync(string refreshToken, string? clientIp, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, AuthUrl + "/token?grant_type=refresh_token")
        {
            Content = JsonContent.Create(new RefreshGrant(refreshToken), GoTrueJsonContext.Default.RefreshGrant),
        };
        request.Headers.Add("apikey", options.Value.AnonKey);
        if (!string.IsNullOrEmpty(clientIp))
        {
            // GoTrue's per-IP rate limits must see the user, not the gateway (docs/supabase-contract.md §1.1).
            request.Headers.TryAddWithoutValidation("Sb-Forwarded-For", clientIp);
        }
        try
        {
            using var response = await http.SendAsync(request, ct);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                var session = await response.Content.ReadFromJsonAsync(SessionApiJsonContext.Default.GoTrueSession, ct);
                return session is { AccessToken.Length: > 0, RefreshToken.Length: > 0 }
                    ? new GoTrueRefreshResult.Refreshed(session)
                    : new GoTrueRefreshResult.Unavailable("GoTrue answered the refresh without tokens");
            }
            // 409: GoTrue's own lock contention; 408/429: transient. Every other 4xx is a definite "no".
            if (status is >= 400 and < 500 and not (408 or 409 or 429))
            {
                return new GoTrueRefreshResult.Refused(status, await ErrorCodeAsync(response, ct));
            }
            return new GoTrueRefreshResult.Unavailable($"GoTrue answered {status}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return new GoTrueRefreshResult.Unavailable(e.Message);
        }
    }

    /// <summary>POST /auth/v1/logout with a token minted for the session. 401/403/404 mean GoTrue already forgot it.</summary>
    public async Task LogoutAsync(string accessToken, string scope, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{AuthUrl}/logout?scope={scope}");
        request.Headers.Add("apikey", options.Value.AnonKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode && (int)response.StatusCode is not (401 or 403 or 404))
        {
            logger.LogWarning("GoTrue logout (scope {Scope}) answered {Status}", scope, (int)response.StatusCode);
        }
    }

    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            foreach (var name in new[] { "error_code", "code", "error" })
            {
                if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty(name, out var code) && code.ValueKind == JsonValueKind.String)
                {
                    return code.GetString();
                }
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }
}

internal sealed record RefreshGrant([property: System.Text.Json.Serialization.JsonPropertyName("refresh_token")] string RefreshToken);

[System.Text.Json.Serialization.JsonSerializable(typeof(RefreshGrant))]
internal sealed partial class GoTrueJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
