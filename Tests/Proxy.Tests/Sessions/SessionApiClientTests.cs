using System.Net;
using System.Text;
using Gateway.Contracts;
using Microsoft.Extensions.Options;
using Proxy.Options;
using Proxy.Sessions;
using TestSupport;

namespace Proxy.Tests.Sessions;

/// <summary>
/// Only the SessionApi's own problem answer means "no such session" (the Proxy then clears the cookie and says
/// 401). Anything else — nothing listening, a 5xx, a bare 404 from some other server, a garbled 200 — is
/// "unavailable", which the Proxy turns into 503: a request with a cookie is never treated as signed out or anonymous.
/// </summary>
public sealed class SessionApiClientTests
{
    private static readonly ResolveSessionRequest Resolve = new("abc.def", null);

    [Theory]
    [InlineData(404)]
    [InlineData(400)]
    public async Task TheSessionApisProblemAnswerMeansNoSession(int status)
    {
        var client = Client(Answer(status, "application/problem+json", """{"status":404,"title":"Session not found"}"""));
        Assert.Null(await client.ResolveAsync(Resolve, CancellationToken.None));
    }

    [Theory]
    [InlineData(404, "text/html", "<h1>Not Found</h1>")]
    [InlineData(404, null, "")]
    [InlineData(404, "application/json", """{"message":"no route"}""")]
    [InlineData(400, "text/plain", "Bad Request")]
    [InlineData(500, "application/problem+json", """{"status":500}""")]
    [InlineData(502, "text/html", "bad gateway")]
    [InlineData(503, "application/problem+json", """{"status":503}""")]
    [InlineData(200, "application/json", "null")]
    [InlineData(200, "application/json", "{not json")]
    [InlineData(200, "text/html", "<html>a login page</html>")]
    public async Task AnyOtherAnswerIsUnavailableNotSignedOut(int status, string? contentType, string body)
    {
        var client = Client(Answer(status, contentType, body));
        await Assert.ThrowsAsync<SessionApiUnavailableException>(() => client.ResolveAsync(Resolve, CancellationToken.None));
    }

    [Fact]
    public async Task NothingListeningIsUnavailable()
    {
        var client = new SessionApiClient(new HttpClient(), Options($"http://127.0.0.1:{FreePort.Next()}"));
        await Assert.ThrowsAsync<SessionApiUnavailableException>(() => client.ResolveAsync(Resolve, CancellationToken.None));
    }

    private static SessionApiClient Client(Func<HttpResponseMessage> answer) =>
        new(new HttpClient(new StubHandler(answer)), Options("http://sessionapi.test"));

    private static IOptions<GatewayOptions> Options(string url) =>
        Microsoft.Extensions.Options.Options.Create(new GatewayOptions { SessionApiUrl = url, SessionApiKey = "k", PublicOrigins = ["http://x"] });

    private static Func<HttpResponseMessage> Answer(int status, string? contentType, string body) => () =>
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }
        return new HttpResponseMessage((HttpStatusCode)status) { Content = content };
    };

    private sealed class StubHandler(Func<HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answer());
    }
}
