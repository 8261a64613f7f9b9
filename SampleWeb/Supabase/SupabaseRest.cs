using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;

namespace SampleWeb.Supabase;

/// <summary>
/// Supabase REST (PostgREST) called from the server, with the signed-in user's minted token or the anon key,
/// so row-level security decides what each visitor sees — exactly as it would for the browser SDK.
/// </summary>
public sealed class SupabaseRest(HttpClient http, IOptions<SupabaseOptions> options, ILogger<SupabaseRest> logger)
{
    /// <summary>Reads rows; <paramref name="userToken"/> null means anonymous (anon key). Throws <see cref="SupabaseUnavailableException"/> on failure.</summary>
    public async Task<List<T>> SelectAsync<T>(string pathAndQuery, string? userToken, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, pathAndQuery, userToken);
        using var response = await SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw await FailureAsync(response, ct);
        }
        try
        {
            return await response.Content.ReadFromJsonAsync(TypeInfo<List<T>>(), ct) ?? [];
        }
        catch (JsonException e)
        {
            throw new SupabaseUnavailableException($"Supabase answered {pathAndQuery} with JSON we cannot read", e);
        }
    }

    /// <summary>Inserts one row as the user; the result says whether the database accepted it (RLS, constraints).</summary>
    public async Task<WriteResult> InsertAsync<T>(string table, T row, string userToken, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Post, table, userToken);
        request.Content = JsonContent.Create(row, TypeInfo<T>());
        request.Headers.Add("Prefer", "return=minimal");
        try
        {
            using var response = await SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                return WriteResult.Saved;
            }
            var failure = await FailureAsync(response, ct);
            logger.LogWarning("Supabase refused an insert into {Table}: {Reason}", table, failure.Message);
            return response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => WriteResult.SessionExpired,
                HttpStatusCode.Forbidden or HttpStatusCode.BadRequest or HttpStatusCode.Conflict => WriteResult.Rejected,
                _ => WriteResult.Unavailable,
            };
        }
        catch (SupabaseUnavailableException)
        {
            return WriteResult.Unavailable;
        }
    }

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
        SupabaseCall.SendAsync(http, request, HttpCompletionOption.ResponseContentRead, "Supabase", ct);

    private static Task<SupabaseUnavailableException> FailureAsync(HttpResponseMessage response, CancellationToken ct) =>
        SupabaseCall.FailureAsync(response, "Supabase", ct);

    private HttpRequestMessage Request(HttpMethod method, string pathAndQuery, string? userToken)
    {
        var request = new HttpRequestMessage(method, $"{options.Value.Url.TrimEnd('/')}/rest/v1/{pathAndQuery}");
        request.Headers.Add("apikey", options.Value.AnonKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", userToken ?? options.Value.AnonKey);
        return request;
    }

    private static JsonTypeInfo<TValue> TypeInfo<TValue>() =>
        (JsonTypeInfo<TValue>)RowsJsonContext.Default.GetTypeInfo(typeof(TValue))!;
}

/// <summary>How a write went, in terms the page can explain to the user.</summary>
public enum WriteResult
{
    Saved,
    /// <summary>The database refused the row (constraint or policy).</summary>
    Rejected,
    /// <summary>The user's token was refused (expired mid-request): sign in again.</summary>
    SessionExpired,
    Unavailable,
}

/// <summary>Supabase could not answer a read; the error page tells the user to try again (never a stack trace).</summary>
public sealed class SupabaseUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
