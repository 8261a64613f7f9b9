using Microsoft.Extensions.Options;
using Proxy.Auth;
using Proxy.Options;

namespace Proxy.Tests.Auth;

/// <summary>The redirect_to decision on its own: what a hostile link could name, and what a real app needs.</summary>
public sealed class RedirectAllowListTests
{
    private const string Origin = "http://127.0.0.1:5080";

    private static readonly RedirectAllowList AllowList = new(
        Microsoft.Extensions.Options.Options.Create(new GatewayOptions
        {
            PublicOrigins = [Origin, "https://app.example.com"],
            AllowedRedirectUrls = ["http://localhost:3000/auth/*", "https://*.preview.example.net/**", "https://bare.example.org", "http://localhost:*/cb"],
        }));

    [Theory]
    [InlineData("")] // not given: GoTrue falls back to its site URL
    [InlineData(Origin)]
    [InlineData(Origin + "/")]
    [InlineData(Origin + "/auth/callback?next=%2Fnotes")]
    [InlineData(Origin + "/welcome#section")]
    [InlineData("HTTP://127.0.0.1:5080/x")] // scheme case does not matter
    [InlineData("https://app.example.com/any/path")]
    [InlineData("https://APP.example.com/")] // host case does not matter
    [InlineData("https://app.example.com:443/x")] // explicit default port
    [InlineData("http://localhost:3000/auth/callback")]
    [InlineData("https://pr-42.preview.example.net/deep/path/page.html?x=1")]
    [InlineData("https://bare.example.org")]
    [InlineData("https://bare.example.org/")]
    [InlineData("http://localhost:49152/cb")]
    public void Allowed(string redirectTo) => Assert.Null(AllowList.Problem(redirectTo));

    [Theory]
    // Plainly foreign.
    [InlineData("https://evil.example/steal")]
    [InlineData("http://127.0.0.1:5081/")] // another port on the same host
    [InlineData("https://127.0.0.1:5080/")] // another scheme
    [InlineData("http://app.example.com/")] // https origin asked over http
    // Credentials: the browser goes to the host after '@'.
    [InlineData("http://127.0.0.1:5080@evil.example/")]
    [InlineData("http://127.0.0.1:5080:pw@evil.example/")]
    [InlineData("https://app.example.com%40evil.example/")]
    [InlineData("https://user@app.example.com/")]
    // Backslashes: browsers read "\" as "/" in http(s) URLs.
    [InlineData("http://evil.example\\@127.0.0.1:5080/")]
    [InlineData("http://127.0.0.1:5080\\@evil.example/")]
    [InlineData("https:\\\\evil.example")]
    [InlineData("/\\evil.example")]
    // Relative and protocol-relative.
    [InlineData("//evil.example/x")]
    [InlineData("///evil.example/x")]
    [InlineData("/local/path")]
    [InlineData("evil.example")]
    [InlineData("http:/evil.example")]
    [InlineData("http:evil.example")]
    // Other schemes.
    [InlineData("javascript:alert(1)")]
    [InlineData("JaVaScRiPt://127.0.0.1:5080/%0aalert(1)")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    [InlineData("ftp://127.0.0.1:5080/")]
    [InlineData("myapp://callback")]
    // Encoded hosts and look-alikes.
    [InlineData("http://%65vil.example/")]
    [InlineData("http://127.0.0.1%3A5080@evil.example/")]
    [InlineData("http%3A%2F%2Fevil.example")]
    [InlineData("https://app.example.com.evil.example/")]
    [InlineData("https://app.example.com./")] // trailing dot: another name to some resolvers
    [InlineData("https://evilapp.example.com/")]
    [InlineData("https://аpp.example.com/")] // Cyrillic 'а'
    [InlineData("https://xn--pp-7kc.example.com/")] // its punycode, also not listed
    [InlineData("http://2130706433:5080/")] // 127.0.0.1 as a decimal integer
    [InlineData("http://0x7f.0.0.1:5080/")]
    [InlineData("http://127.1:5080/")]
    [InlineData("http://[::ffff:127.0.0.1]:5080/")]
    [InlineData("http://127.0.0.1:05080x/")]
    [InlineData("http://127.0.0.1:99999/")]
    [InlineData("http://127.0.0.1:/")]
    // Whitespace and control characters (browsers strip some of them).
    [InlineData(" http://127.0.0.1:5080/")]
    [InlineData("http://127.0.0.1:5080/\r\nLocation: http://evil.example")]
    [InlineData("http://127.0.0.1:5080/\tx")]
    [InlineData("http://evil.example\t.127.0.0.1:5080/")]
    // Path tricks on an allowed origin that a later redirect could turn into another target.
    [InlineData(Origin + "//evil.example/")]
    [InlineData(Origin + "/a/../../evil")]
    [InlineData(Origin + "/a/%2e%2e/evil")]
    [InlineData(Origin + "/a%2f..%2fevil")]
    [InlineData(Origin + "/a%5cevil")]
    // Patterns: '*' stays inside one label or segment, the path is part of the match.
    [InlineData("http://localhost:3000/other")]
    [InlineData("http://localhost:3000/auth/a/b")]
    [InlineData("http://localhost:3000/auth/page.html")]
    [InlineData("https://a.b.preview.example.net/")]
    [InlineData("https://preview.example.net/")]
    [InlineData("https://pr-1.preview.example.net.evil.example/")]
    [InlineData("https://bare.example.org/anything")] // no path in the pattern: the bare origin only
    [InlineData("https://bare.example.org?next=x")]
    [InlineData("http://localhost:8080/cb/extra")]
    public void Refused(string redirectTo) => Assert.NotNull(AllowList.Problem(redirectTo));

    [Fact]
    public void OverlongTargetsAreRefused() => Assert.NotNull(AllowList.Problem(Origin + "/" + new string('a', RedirectTarget.MaxLength)));

    [Theory]
    [InlineData("https://app.example.com/**")]
    [InlineData("http://localhost:5080/**")]
    [InlineData("https://*-team.vercel.app/**")]
    [InlineData("http://localhost:*/**")]
    [InlineData("http://[::1]:5080/**")]
    public void PatternsASupabaseProjectUsesAreAccepted(string pattern) => Assert.NotNull(RedirectPattern.Parse(pattern, out _));

    [Theory]
    [InlineData("**")]
    [InlineData("https://**")]
    [InlineData("https://*/**")]
    [InlineData("https://*.com/**")]
    [InlineData("https://example.*/**")]
    [InlineData("https://**.example.com/")]
    [InlineData("app.example.com/**")]
    [InlineData("myapp://callback")]
    [InlineData("https://user@app.example.com/**")]
    [InlineData("https://app.example.com:port/**")]
    [InlineData("https://app example.com/**")]
    [InlineData("https://app.example.com\\/**")]
    [InlineData("https://%61pp.example.com/**")]
    public void PatternsThatAllowTooMuchOrCannotBeReadAreRefused(string pattern)
    {
        Assert.Null(RedirectPattern.Parse(pattern, out var problem));
        Assert.NotEmpty(problem);
        var valid = new GatewayOptions { SessionApiKey = "k", PublicOrigins = [Origin] };
        Assert.True(new GatewayOptionsValidator().Validate(null, valid).Succeeded);
        var result = new GatewayOptionsValidator().Validate(null, new GatewayOptions { SessionApiKey = "k", PublicOrigins = [Origin], AllowedRedirectUrls = [pattern] });
        Assert.False(result.Succeeded);
        Assert.Contains("Gateway:AllowedRedirectUrls:0", result.FailureMessage, StringComparison.Ordinal);
    }
}
