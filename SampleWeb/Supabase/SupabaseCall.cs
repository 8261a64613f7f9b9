namespace SampleWeb.Supabase;

/// <summary>
/// How SampleWeb's Supabase clients (REST, Storage) send a request and turn a failure into
/// <see cref="SupabaseUnavailableException"/>: unreachable, silent past the client's timeout, or an unexpected status.
/// </summary>
internal static class SupabaseCall
{
    public static async Task<HttpResponseMessage> SendAsync(
        HttpClient http, HttpRequestMessage request, HttpCompletionOption completion, string service, CancellationToken ct)
    {
        try
        {
            return await http.SendAsync(request, completion, ct);
        }
        catch (HttpRequestException e)
        {
            throw new SupabaseUnavailableException($"{service} is unreachable", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new SupabaseUnavailableException($"{service} did not answer in time", e);
        }
    }

    public static async Task<SupabaseUnavailableException> FailureAsync(HttpResponseMessage response, string service, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        return new SupabaseUnavailableException($"{service} answered {(int)response.StatusCode}: {(body.Length > 300 ? body[..300] : body)}");
    }
}
