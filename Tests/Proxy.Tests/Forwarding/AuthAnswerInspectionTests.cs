using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Proxy.Tests.Support;

namespace Proxy.Tests.Forwarding;

/// <summary>
/// Issue 20, point 3: the leak guard reads every auth answer as Supabase sent it. The browser's Accept-Encoding is not
/// passed on (Supabase is asked for identity), and an answer the guard cannot read (still encoded, or JSON that does
/// not parse) is refused with 502 instead of being relayed.
/// </summary>
public sealed class AuthAnswerInspectionTests(ProxyHarness proxy) : IClassFixture<ProxyHarness>
{
    [Fact]
    public async Task TheBrowsersAcceptEncodingIsNotPassedOnAndASessionNeverComesBackCompressed()
    {
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/factors/f1/verify", json: new { code = "123456" });
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, deflate, br");
        using var response = await proxy.Client.SendAsync(request);

        var text = await DecodedTextAsync(response);
        Assert.DoesNotContain(FakeSupabase.RealRefreshToken, text);
        Assert.DoesNotContain("real-access-token", text);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("identity", proxy.Supabase.RequestsTo("/auth/v1/factors/f1/verify").Last().Header("accept-encoding"));
    }

    [Fact]
    public async Task AnAnswerCompressedAnywayIsRefusedNotRelayed()
    {
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/factors/always-gzip/verify", json: new { code = "123456" });
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.False(response.Content.Headers.ContentEncoding.Count > 0);
        var text = await DecodedTextAsync(response);
        Assert.Contains("upstream_invalid_response", text);
        Assert.DoesNotContain(FakeSupabase.RealRefreshToken, text);
    }

    [Fact]
    public async Task JsonTheGuardCannotParseIsRefusedNotRelayed()
    {
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/factors/truncated/verify", json: new { code = "123456" });
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(FakeSupabase.RealRefreshToken, text);
        Assert.DoesNotContain("real-access-token", text);
    }

    private static async Task<string> DecodedTextAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (response.Content.Headers.ContentEncoding.Contains("gzip"))
        {
            await using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            await gzip.CopyToAsync(plain);
            bytes = plain.ToArray();
        }
        return Encoding.UTF8.GetString(bytes);
    }
}
