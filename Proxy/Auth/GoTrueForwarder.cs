using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Proxy.Errors;
using Proxy.Options;

namespace Proxy.Auth;

/// <summary>A GoTrue answer read into memory so the Proxy can decide what the browser sees.</summary>
public sealed record GoTrueResponse(int Status, byte[] Body, string? ContentType, IReadOnlyDictionary<string, string> Headers);

/// <summary>Calls GoTrue (through the Supabase API gateway) with the project key and the client's IP.</summary>
public sealed class GoTrueForwarder(HttpClient http, IOptions<SupabaseOptions> supabase)
{
    /// <summary>Gateway:UpstreamTimeoutSeconds, the same limit YARP applies on the other /supabase routes; callers
    /// map the resulting cancellation to 504 and connection failures to 502 (GoTrue's error format).</summary>
    public static void Configure(IServiceProvider services, HttpClient client) =>
        client.Timeout = services.GetRequiredService<IOptions<GatewayOptions>>().Value.UpstreamTimeout;

    private static readonly string[] PassThroughResponseHeaders = [GatewayErrors.ApiVersionHeader, GatewayErrors.ErrorCodeHeader, "Retry-After"];

    public Task<GoTrueResponse> SendAsync(HttpContext context, string pathAndQuery, byte[]? body, string? bearer, CancellationToken ct) =>
        SendAsync(context, new HttpMethod(context.Request.Method), pathAndQuery, body, MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            ? type : new MediaTypeHeaderValue("application/json"), bearer, ct);

    /// <summary>A call of the gateway's own (the PKCE code exchange at its callback), on behalf of this browser.</summary>
    public async Task<GoTrueResponse> SendAsync(HttpContext context, HttpMethod method, string pathAndQuery, byte[]? body, MediaTypeHeaderValue contentType,
        string? bearer, CancellationToken ct)
    {
        var url = supabase.Value.Url.TrimEnd('/') + pathAndQuery;
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = contentType;
        }
        request.Headers.TryAddWithoutValidation("apikey", supabase.Value.AnonKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer ?? supabase.Value.AnonKey);
        foreach (var name in new[] { GatewayErrors.ApiVersionHeader, "X-Client-Info", "Accept" })
        {
            if (context.Request.Headers.TryGetValue(name, out var value))
            {
                request.Headers.TryAddWithoutValidation(name, value.ToString());
            }
        }
        if (context.Connection.RemoteIpAddress is { } ip)
        {
            request.Headers.TryAddWithoutValidation("Sb-Forwarded-For", ip.ToString());
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", ip.ToString());
        }
        // The same forwarding headers YARP adds on the other /supabase routes (never the browser's Host).
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", context.Request.Scheme);
        using var response = await http.SendAsync(request, ct);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in PassThroughResponseHeaders)
        {
            if (response.Headers.TryGetValues(name, out var values))
            {
                headers[name] = string.Join(",", values);
            }
        }
        return new GoTrueResponse((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(ct),
            response.Content.Headers.ContentType?.ToString(), headers);
    }
}
