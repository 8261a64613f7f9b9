using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Proxy.Options;
using Proxy.Security;

namespace Proxy.Auth;

/// <summary>A flow the gateway started on the browser's behalf: the challenge GoTrue gets and where GoTrue must send the browser.</summary>
public sealed record ServerPkceFlow(string Challenge, string CallbackUrl);

/// <summary>
/// Makes every redirecting sign-in a PKCE flow whose code only the gateway can exchange. Without it, a client on
/// supabase-js's default implicit flow gets GoTrue's tokens in a URL fragment on GoTrue's own redirect, which the
/// gateway never sees when GoTrue's external URL is Supabase's (every hosted project). Here the gateway makes the
/// verifier, keeps it in a flow cookie on this browser, and points GoTrue's redirect at its own callback.
/// </summary>
public sealed class ServerPkce(AuthFlowCookie flowCookie, IOptions<GatewayOptions> options)
{
    /// <summary>GoTrue's OAuth flow_state lives 5 minutes; a little more covers a slow consent screen and clock skew.</summary>
    public static readonly TimeSpan OAuthLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Email links stay valid as long as GoTrue's OTP expiry (1 hour by default).</summary>
    public static readonly TimeSpan EmailLinkLifetime = TimeSpan.FromHours(1);

    private readonly string[] _origins = options.Value.PublicOrigins.Select(OriginPolicy.Normalize).OfType<string>().ToArray();

    /// <summary>
    /// Starts a flow for this browser (sets its cookie). <paramref name="requestedRedirect"/> was already accepted by the
    /// redirect allow-list; none means the public origin's root. Null when the request did not come in on a public origin
    /// (the cookie would be set for a host the callback is not on).
    /// </summary>
    public ServerPkceFlow? Start(HttpContext context, string? type, string? requestedRedirect, TimeSpan lifetime)
    {
        if (OwnOrigin(context.Request) is not { } origin)
        {
            return null;
        }
        var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var flowId = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        var next = string.IsNullOrEmpty(requestedRedirect) ? origin + "/" : requestedRedirect;
        flowCookie.Write(context, flowId, new AuthFlowState(verifier, type, next), lifetime);
        return new ServerPkceFlow(challenge, $"{origin}{AuthFlowCookie.CallbackPath}?flow={flowId}");
    }

    /// <summary>The public origin this request arrived on: same scheme and host when possible, else same host (TLS ended at an ingress).</summary>
    public string? OwnOrigin(HttpRequest request)
    {
        var exact = OriginPolicy.Normalize($"{request.Scheme}://{request.Host.Value}");
        if (exact is not null && _origins.Contains(exact, StringComparer.Ordinal))
        {
            return exact;
        }
        var host = request.Host.Value?.ToLowerInvariant();
        return _origins.FirstOrDefault(o => host is not null && new Uri(o).Authority.Equals(host, StringComparison.OrdinalIgnoreCase));
    }
}

public static class ServerPkceExtensions
{
    public static IServiceCollection AddServerPkce(this IServiceCollection services)
    {
        services.AddSingleton<AuthFlowCookie>();
        services.AddSingleton<ServerPkce>();
        return services;
    }
}
