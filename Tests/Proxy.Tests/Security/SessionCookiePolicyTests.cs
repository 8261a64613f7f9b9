using Microsoft.AspNetCore.Http;
using Proxy.Cookies;
using Proxy.Options;

namespace Proxy.Tests.Security;

public sealed class SessionCookiePolicyTests
{
    private static SessionCookiePolicy Policy(params string[] origins) =>
        new(Microsoft.Extensions.Options.Options.Create(new GatewayOptions { SessionApiKey = "k", PublicOrigins = origins }));

    private static (HttpContext Context, string SetCookie) Write(SessionCookiePolicy policy, string scheme, string host)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = scheme;
        context.Request.Host = new HostString(host);
        policy.Write(context, "id.secret", DateTimeOffset.UtcNow.AddHours(1));
        return (context, context.Response.Headers.SetCookie.ToString().ToLowerInvariant());
    }

    [Fact]
    public void BehindATlsIngressTheCookieIsStillHostPrefixedAndSecure()
    {
        // ACA ends TLS at its ingress: the Proxy sees http, the browser sees https.
        var (_, setCookie) = Write(Policy("https://app.example.com"), "http", "proxy.internal");
        Assert.StartsWith("__host-sb-session=id.secret", setCookie);
        Assert.Contains("secure", setCookie);
        Assert.Contains("httponly", setCookie);
        Assert.Contains("samesite=lax", setCookie);
        Assert.Contains("path=/", setCookie);
        Assert.DoesNotContain("domain=", setCookie);
    }

    [Theory]
    [InlineData("127.0.0.1:5080", true)]
    [InlineData("localhost:5080", true)]
    [InlineData("[::1]:5080", true)]
    [InlineData("devbox.lan:5080", false)]
    public void PlainHttpIsSecureOnlyWhereBrowsersKeepSecureCookies(string host, bool secure)
    {
        var (_, setCookie) = Write(Policy("http://" + host), "http", host);
        Assert.StartsWith("sb-session=id.secret", setCookie);
        Assert.Equal(secure, setCookie.Contains("secure", StringComparison.Ordinal));
    }

    [Fact]
    public void OnAnHttpsSiteAPlantedUnprefixedCookieIsIgnored()
    {
        var policy = Policy("https://app.example.com");
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        context.Request.Headers.Cookie = "sb-session=planted.value";
        Assert.Null(policy.Parse(context.Request).Cookie);
        Assert.True(policy.Parse(context.Request).CarriesCookie); // still counts for CSRF checks
        context.Request.Headers.Cookie = "sb-session=planted.value; __Host-sb-session=real.value";
        Assert.Equal("real.value", policy.Parse(context.Request).Cookie);
    }

    [Fact]
    public void ClearingExpiresTheSameCookieName()
    {
        var policy = Policy("https://app.example.com");
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        policy.Clear(context);
        var setCookie = context.Response.Headers.SetCookie.ToString().ToLowerInvariant();
        Assert.StartsWith("__host-sb-session=;", setCookie);
        Assert.Contains("expires=thu, 01 jan 1970", setCookie);
    }
}
