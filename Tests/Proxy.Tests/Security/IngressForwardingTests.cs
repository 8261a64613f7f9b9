using System.Net;
using Proxy.Tests.Support;

namespace Proxy.Tests.Security;

public sealed class TrustingIngressProxyHarness : ProxyHarness
{
    protected override IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>
    {
        ["Gateway:Ingress:TrustForwardedHeaders"] = "true",
    };
}

/// <summary>The client address Supabase and the rate limits see: the ingress's last X-Forwarded-For entry only when trusted.</summary>
public sealed class IngressForwardingTests
{
    public sealed class Untrusted(ProxyHarness proxy) : IClassFixture<ProxyHarness>
    {
        [Fact]
        public async Task AClientSentForwardedForIsIgnored()
        {
            using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/otp", json: new { email = "a@example.com" });
            request.Headers.Add("X-Forwarded-For", "203.0.113.9");
            using var response = await proxy.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var upstream = proxy.Supabase.RequestsTo("/auth/v1/otp").Last();
            Assert.Equal("127.0.0.1", upstream.Header("Sb-Forwarded-For"));
            Assert.DoesNotContain("203.0.113.9", upstream.Header("X-Forwarded-For") ?? "", StringComparison.Ordinal);
        }
    }

    public sealed class Trusted(TrustingIngressProxyHarness proxy) : IClassFixture<TrustingIngressProxyHarness>
    {
        [Fact]
        public async Task OnlyTheEntryTheIngressAppendedCounts()
        {
            using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/otp", json: new { email = "a@example.com" });
            request.Headers.Add("X-Forwarded-For", "198.51.100.1, 203.0.113.9"); // client-forged, then the ingress's
            using var response = await proxy.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("203.0.113.9", proxy.Supabase.RequestsTo("/auth/v1/otp").Last().Header("Sb-Forwarded-For"));
        }
    }
}
