using Microsoft.Extensions.Options;
using Proxy.Cookies;
using Proxy.Options;
using Proxy.Security;

namespace Proxy.Tests.Security;

public sealed class OriginAndRedirectPolicyTests
{
    private static readonly OriginPolicy Policy = new(Microsoft.Extensions.Options.Options.Create(new GatewayOptions
    {
        PublicOrigins = ["https://app.example.com", "http://127.0.0.1:5080"],
        SessionApiKey = "k",
    }));

    [Theory]
    [InlineData("https://app.example.com", true)]
    [InlineData("https://APP.example.com", true)]
    [InlineData("https://app.example.com:443", true)]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://app.example.com", false)]
    [InlineData("https://app.example.com.evil.net", false)]
    [InlineData("https://evil.net", false)]
    [InlineData("null", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("https://app.example.com/path", false)]
    [InlineData("https://user@app.example.com", false)]
    [InlineData("http://127.0.0.1:5081", false)]
    public void OnlyConfiguredOriginsAreTrusted(string? origin, bool allowed) => Assert.Equal(allowed, Policy.IsAllowed(origin));

    [Theory]
    [InlineData("/account", "/account")]
    [InlineData("/posts/5?x=1", "/posts/5?x=1")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example/", "/")]
    [InlineData("javascript:alert(1)", "/")]
    [InlineData("evil.example", "/")]
    [InlineData("", "/")]
    [InlineData(null, "/")]
    [InlineData("/ok\r\nSet-Cookie: x=1", "/")]
    [InlineData("/caf\u00e9?q=\"x\"", "/caf%C3%A9?q=%22x%22")]
    public void ReturnUrlsStayLocal(string? returnUrl, string expected) => Assert.Equal(expected, OriginPolicy.SafeLocalPath(returnUrl));

    [Theory]
    [InlineData("abc.def_-", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("semi;colon", false)]
    [InlineData("ünïcode", false)]
    public void CookieValuesThatCannotBeOursAreRejectedBeforeAnyLookup(string value, bool valid) =>
        Assert.Equal(valid, Gateway.Contracts.SessionCookieFormat.IsPlausible(value));

    [Fact]
    public void OversizedCookieValuesAreRejected() => Assert.False(Gateway.Contracts.SessionCookieFormat.IsPlausible(new string('a', Gateway.Contracts.SessionCookieFormat.MaxLength + 1)));

    [Fact]
    public void OurCookieIsRemovedFromTheHeaderSentToSampleWebAndOthersStay()
    {
        var cookies = new SessionCookiePolicy(Microsoft.Extensions.Options.Options.Create(new GatewayOptions { SessionApiKey = "k" }));
        Assert.Equal(".AspNetCore.Antiforgery.x=t; theme=dark", cookies.WithoutSessionCookie("sb-session=secret; .AspNetCore.Antiforgery.x=t; __Host-sb-session=s2; theme=dark"));
        Assert.Null(cookies.WithoutSessionCookie("sb-session=secret"));
    }
}
