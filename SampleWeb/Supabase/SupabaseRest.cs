using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace SampleWeb.Supabase;

public sealed class SupabaseOptions
{
    public string Url { get; set; } = "";
    public string AnonKey { get; set; } = "";
}

/// <summary>Supabase REST called from the server with the user's minted token (or the anon key), so RLS decides.</summary>
public sealed class SupabaseRest(HttpClient http, IOptions<SupabaseOptions> options)
{
    public async Task<List<JsonElement>> SelectAsync(string query, string? userToken, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, query, userToken);
        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<List<JsonElement>>(ct) ?? [];
    }

    public async Task<bool> InsertAsync(string table, object row, string userToken, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Post, table, userToken);
        request.Content = JsonContent.Create(row);
        using var response = await http.SendAsync(request, ct);
        return response.IsSuccessStatusCode;
    }

    private HttpRequestMessage Request(HttpMethod method, string pathAndQuery, string? userToken)
    {
        var request = new HttpRequestMessage(method, $"{options.Value.Url.TrimEnd('/')}/rest/v1/{pathAndQuery}");
        request.Headers.Add("apikey", options.Value.AnonKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", userToken ?? options.Value.AnonKey);
        return request;
    }
}
