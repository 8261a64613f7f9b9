using System.Net.Http.Headers;

namespace AppHost.Tests;

/// <summary>
/// Keeps the Proxy's cookies the way a browser on http://localhost does. CookieContainer never sends a cookie marked
/// Secure to an http:// address, although browsers treat loopback as a secure context and do; so the test keeps them
/// itself: name=value from each Set-Cookie, dropped again when the Proxy expires it.
/// </summary>
internal sealed class SessionCookieJar : DelegatingHandler
{
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public SessionCookieJar() : base(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
    {
    }

    public string? this[string name]
    {
        get
        {
            lock (_gate)
            {
                return _cookies.GetValueOrDefault(name);
            }
        }
    }

    /// <summary>The Cookie header this jar sends now (to replay it later from another client).</summary>
    public string CookieHeader
    {
        get
        {
            lock (_gate)
            {
                return string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}"));
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var header = CookieHeader;
        if (header.Length > 0)
        {
            request.Headers.Add("Cookie", header);
        }
        var response = await base.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var setCookie in setCookies)
            {
                Remember(setCookie);
            }
        }
        return response;
    }

    private void Remember(string setCookie)
    {
        var parts = setCookie.Split(';', StringSplitOptions.TrimEntries);
        var equals = parts[0].IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            return;
        }
        var (name, value) = (parts[0][..equals], parts[0][(equals + 1)..]);
        var expired = value.Length == 0 || parts.Skip(1).Any(IsExpiry);
        lock (_gate)
        {
            if (expired)
            {
                _cookies.Remove(name);
            }
            else
            {
                _cookies[name] = value;
            }
        }
    }

    private static bool IsExpiry(string attribute)
    {
        if (attribute.StartsWith("max-age=", StringComparison.OrdinalIgnoreCase))
        {
            return long.TryParse(attribute["max-age=".Length..], out var seconds) && seconds <= 0;
        }
        if (attribute.StartsWith("expires=", StringComparison.OrdinalIgnoreCase))
        {
            return DateTimeOffset.TryParse(attribute["expires=".Length..], System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var at) && at <= DateTimeOffset.UtcNow;
        }
        return false;
    }
}

/// <summary>A browser on the Proxy's page: its cookies, its Origin on every request, supabase-js's apikey header.</summary>
internal sealed class BrowserLikeClient : IDisposable
{
    public BrowserLikeClient(Uri proxyUrl, string anonKey, string? origin = null)
    {
        Jar = new SessionCookieJar();
        Origin = origin ?? proxyUrl.GetLeftPart(UriPartial.Authority);
        Http = new HttpClient(Jar) { BaseAddress = proxyUrl, Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Add("Origin", Origin);
        Http.DefaultRequestHeaders.Add("apikey", anonKey);
        Http.DefaultRequestHeaders.Add("X-Supabase-Api-Version", "2024-01-01");
    }

    public SessionCookieJar Jar { get; }

    public HttpClient Http { get; }

    public string Origin { get; }

    public void Dispose() => Http.Dispose();
}

internal static class HttpAssert
{
    public static async Task StatusAsync(HttpStatusCode expected, HttpResponseMessage response, CancellationToken ct)
    {
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}, expected {(int)expected}: {body}");
        }
    }

    public static MediaTypeHeaderValue? ContentType(HttpResponseMessage response) => response.Content.Headers.ContentType;
}
