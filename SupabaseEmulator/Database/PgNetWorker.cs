using System.Text.Json;
using Npgsql;

namespace SupabaseEmulator.Database;

/// <summary>
/// pg_net's background worker for the shim in pg-net-shim.sql: takes committed rows off net.http_request_queue,
/// sends them, and records the outcome in net._http_response. Woken by NOTIFY, and polls as a fallback.
/// </summary>
public sealed class PgNetWorker(EmulatorDatabase database, IHttpClientFactory httpClients, ILogger<PgNetWorker> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var listener = await database.Admin.OpenConnectionAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand("listen emulator_pg_net", listener))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                while (!stoppingToken.IsCancellationRequested)
                {
                    await DeliverQueuedAsync(stoppingToken);
                    await listener.WaitAsync(PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or PostgresException)
            {
                // No shim (schema.sql without it) or the database is going away: retry quietly.
                logger.LogDebug("pg_net emulator worker: {Reason}", e.Message);
                await Task.Delay(PollInterval, stoppingToken);
            }
        }
    }

    private async Task DeliverQueuedAsync(CancellationToken ct)
    {
        while (true)
        {
            await using var connection = await database.Admin.OpenConnectionAsync(ct);
            await using var take = new NpgsqlCommand(
                "delete from net.http_request_queue where id = (select id from net.http_request_queue order by id limit 1 for update skip locked) " +
                "returning id, method, url, headers::text, body, timeout_milliseconds", connection);
            await using var reader = await take.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return;
            }
            var id = reader.GetInt64(0);
            var method = reader.GetString(1);
            var url = reader.GetString(2);
            var headers = JsonDocument.Parse(reader.GetString(3)).RootElement;
            var body = reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4);
            var timeout = TimeSpan.FromMilliseconds(reader.GetInt32(5));
            await reader.DisposeAsync();
            var (status, content, error) = await SendAsync(method, url, headers, body, timeout, ct);
            await using var record = new NpgsqlCommand(
                "insert into net._http_response (id, status_code, content, error_msg) values ($1, $2, $3, $4) on conflict (id) do nothing", connection);
            record.Parameters.Add(new() { Value = id });
            record.Parameters.Add(new() { Value = (object?)status ?? DBNull.Value, DataTypeName = "integer" });
            record.Parameters.Add(new() { Value = (object?)content ?? DBNull.Value, DataTypeName = "text" });
            record.Parameters.Add(new() { Value = (object?)error ?? DBNull.Value, DataTypeName = "text" });
            await record.ExecuteNonQueryAsync(ct);
        }
    }

    private async Task<(int? Status, string? Content, string? Error)> SendAsync(string method, string url, JsonElement headers, byte[]? body,
        TimeSpan timeout, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        var contentType = "application/json";
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
        }
        foreach (var header in headers.EnumerateObject())
        {
            var value = header.Value.ValueKind == JsonValueKind.String ? header.Value.GetString()! : header.Value.GetRawText();
            if (header.Name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(header.Name, value);
            }
        }
        if (request.Content is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutSource.CancelAfter(timeout);
        try
        {
            using var response = await httpClients.CreateClient(nameof(PgNetWorker)).SendAsync(request, timeoutSource.Token);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(timeoutSource.Token), null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("pg_net emulator: {Method} {Url} failed: {Reason}", method, url, e.Message);
            return (null, null, e.Message);
        }
    }
}
