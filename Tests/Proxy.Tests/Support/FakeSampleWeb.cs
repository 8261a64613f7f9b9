using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using TestSupport;

namespace Proxy.Tests.Support;

/// <summary>Stands for SampleWeb: records what the Proxy forwarded and answers 200 "page".</summary>
public sealed class FakeSampleWeb : IAsyncDisposable
{
    private FakeHost _host = null!;

    private FakeSampleWeb()
    {
    }

    public string Url => _host.Url;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public static async Task<FakeSampleWeb> StartAsync()
    {
        var fake = new FakeSampleWeb();
        fake._host = await FakeHost.StartAsync(app => app.Run(async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            fake.Requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "",
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body));
            await context.Response.WriteAsync("page");
        }));
        return fake;
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
