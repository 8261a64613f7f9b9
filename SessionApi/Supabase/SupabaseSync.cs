using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using SessionApi.Options;

namespace SessionApi.Supabase;

/// <summary>
/// Work done towards Supabase after the fact, off the request path: ending GoTrue sessions after a revoke and
/// mirroring session metadata into the public.sessions table (upsert by id; a revoked session keeps its row with
/// revoked_at set, so "where revoked_at is null" lists live sessions). Failures are logged, never break sessions.
/// </summary>
public sealed class SupabaseSync(HttpClient http, GoTrueClient goTrue, IOptions<SupabaseOptions> options, ILogger<SupabaseSync> logger) : BackgroundService
{
    // Bounded so a Supabase outage cannot grow memory; the oldest (most outdated) work goes first.
    private readonly Channel<Func<CancellationToken, Task>> _work =
        Channel.CreateBounded<Func<CancellationToken, Task>>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });

    /// <summary>POST /auth/v1/logout with a token minted for that session (scope local or global).</summary>
    public void EndGoTrueSession(string accessToken, string scope) => Enqueue(ct => goTrue.LogoutAsync(accessToken, scope, ct));

    /// <summary>Upserts one row of public.sessions with the service key.</summary>
    public void Mirror(IDictionary<string, object?> row) => Enqueue(async ct =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Value.Url.TrimEnd('/') + "/rest/v1/sessions")
        {
            Content = new StringContent(JsonSerializer.Serialize(row, MirrorJsonContext.Default.IDictionaryStringObject), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("apikey", options.Value.ServiceKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.ServiceKey);
        request.Headers.Add("Prefer", "resolution=merge-duplicates,return=minimal");
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            logger.LogWarning("Mirroring session {Id} into public.sessions failed: {Status}", row["id"], (int)response.StatusCode);
        }
    });

    private void Enqueue(Func<CancellationToken, Task> work)
    {
        if (!_work.Writer.TryWrite(work))
        {
            logger.LogWarning("Supabase sync queue is full; dropping work");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var work in _work.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await work(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever Supabase does, the sync loop (and with it the host) keeps running.
                logger.LogWarning("Supabase sync call failed: {Reason}", e.Message);
            }
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IDictionary<string, object?>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
[System.Text.Json.Serialization.JsonSerializable(typeof(DateTimeOffset))]
internal sealed partial class MirrorJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
