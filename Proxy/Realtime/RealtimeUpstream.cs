using System.Text;
using Microsoft.Extensions.Options;
using Proxy.Options;

namespace Proxy.Realtime;

/// <summary>The Realtime websocket behind the Supabase API gateway: <c>ws(s)://&lt;Supabase:Url&gt;/realtime/v1/websocket</c>.</summary>
public sealed class RealtimeUpstream(IOptions<SupabaseOptions> options) : IDisposable
{
    /// <summary>
    /// One handler for every upstream socket: without it each <see cref="System.Net.WebSockets.ClientWebSocket"/>
    /// builds a handler of its own, which thousands of open sockets pay for in memory. No cookies (the relay speaks
    /// for many users), the same connect limit as the other upstream clients.
    /// </summary>
    public HttpMessageInvoker Invoker { get; } = new(new SocketsHttpHandler
    {
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AllowAutoRedirect = false,
    });

    public void Dispose() => Invoker.Dispose();

    /// <summary>Serializer version Phoenix assumes when the client names none.</summary>
    public const string DefaultVsn = "1.0.0";

    /// <summary>
    /// The upstream address for a client's query string: its parameters (vsn, log_level, …) are kept, except
    /// <c>apikey</c>, which is always the project key; a missing <c>vsn</c> is made explicit.
    /// </summary>
    public Uri BuildUri(IQueryCollection clientQuery)
    {
        var baseUri = new Uri(options.Value.Url, UriKind.Absolute);
        var query = new StringBuilder();
        Append(query, "apikey", options.Value.AnonKey);
        var hasVsn = false;
        foreach (var (name, values) in clientQuery)
        {
            if (string.Equals(name, "apikey", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            hasVsn |= name == "vsn";
            foreach (var value in values)
            {
                Append(query, name, value ?? "");
            }
        }
        if (!hasVsn)
        {
            Append(query, "vsn", DefaultVsn);
        }

        var upstream = new UriBuilder(baseUri)
        {
            Scheme = baseUri.Scheme == Uri.UriSchemeHttps ? Uri.UriSchemeWss : Uri.UriSchemeWs,
            Path = baseUri.AbsolutePath.TrimEnd('/') + "/realtime/v1/websocket",
            Query = query.ToString(),
        };
        return upstream.Uri;
    }

    private static void Append(StringBuilder query, string name, string value)
    {
        if (query.Length > 0)
        {
            query.Append('&');
        }
        query.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
    }
}
