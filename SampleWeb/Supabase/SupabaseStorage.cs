using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace SampleWeb.Supabase;

/// <summary>One file in a user's attachments folder, with a short-lived download link through the gateway.</summary>
public sealed record Attachment(string Name, string DisplayName, long Size, DateTimeOffset? CreatedAt, string? DownloadUrl);

/// <summary>
/// Supabase Storage called from the server with the signed-in user's minted token (the "attachments" bucket, one
/// folder per user id): row-level security on storage.objects decides what each user may list, read, write and
/// delete. Download links are signed URLs under the gateway's /supabase prefix, so the browser fetches them from
/// the public origin, with no cookie and no token of its own, until they expire.
/// </summary>
public sealed class SupabaseStorage(HttpClient http, IOptions<SupabaseOptions> options, ILogger<SupabaseStorage> logger)
{
    public const string Bucket = "attachments";

    /// <summary>How long a rendered download link works (the page is re-rendered for a fresh one).</summary>
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromMinutes(2);

    /// <summary>Streams <paramref name="content"/> to "&lt;user id&gt;/&lt;name&gt;" as the user.</summary>
    public async Task<WriteResult> UploadAsync(string userId, string name, Stream content, string contentType, string userToken, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Post, $"object/{Bucket}/{Path(userId, name)}", userToken);
        request.Content = new StreamContent(content);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.TryParse(contentType, out var type) ? type : new MediaTypeHeaderValue("application/octet-stream");
        request.Headers.CacheControl = new CacheControlHeaderValue { Private = true, MaxAge = TimeSpan.FromHours(1) };
        request.Headers.Add("x-upsert", "false");
        return await WriteAsync(request, "upload", ct);
    }

    public async Task<WriteResult> DeleteAsync(string userId, string name, string userToken, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Delete, $"object/{Bucket}", userToken);
        request.Content = JsonContent.Create(new RemoveRequest([$"{userId}/{name}"]), StorageJsonContext.Default.RemoveRequest);
        using var response = await SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            return await RefusedAsync(response, "delete", ct);
        }
        var removed = await response.Content.ReadFromJsonAsync(StorageJsonContext.Default.ListStoredObject, ct) ?? [];
        return removed.Count == 1 ? WriteResult.Saved : WriteResult.Rejected; // RLS: nothing of someone else's is deleted
    }

    /// <summary>The user's files (newest first), each with a signed download link valid for <see cref="LinkLifetime"/>.</summary>
    public async Task<IReadOnlyList<Attachment>> ListAsync(string userId, string userToken, CancellationToken ct)
    {
        using var list = Request(HttpMethod.Post, $"object/list/{Bucket}", userToken);
        list.Content = JsonContent.Create(new ListRequest(userId + "/", 100, 0, new SortBy("created_at", "desc")), StorageJsonContext.Default.ListRequest);
        using var listed = await SendAsync(list, ct);
        if (!listed.IsSuccessStatusCode)
        {
            throw await FailureAsync(listed, ct);
        }
        var files = (await listed.Content.ReadFromJsonAsync(StorageJsonContext.Default.ListStoredObject, ct) ?? []).Where(f => f.Id is not null).ToList();
        if (files.Count == 0)
        {
            return [];
        }
        using var sign = Request(HttpMethod.Post, $"object/sign/{Bucket}", userToken);
        sign.Content = JsonContent.Create(new SignRequest((int)LinkLifetime.TotalSeconds, [.. files.Select(f => $"{userId}/{f.Name}")]), StorageJsonContext.Default.SignRequest);
        using var signed = await SendAsync(sign, ct);
        if (!signed.IsSuccessStatusCode)
        {
            throw await FailureAsync(signed, ct);
        }
        var urls = (await signed.Content.ReadFromJsonAsync(StorageJsonContext.Default.ListSignedObjectUrl, ct) ?? [])
            .Where(s => s.SignedUrl is not null).ToDictionary(s => s.Path, s => GatewayLink(s.SignedUrl!), StringComparer.Ordinal);
        return [.. files.Select(f => new Attachment(f.Name, DisplayName(f.Name), f.Metadata?.Size ?? 0, f.CreatedAt, urls.GetValueOrDefault($"{userId}/{f.Name}")))];
    }

    /// <summary>Stored names are "&lt;upload time&gt;-&lt;original name&gt;" so two files of the same name never collide.</summary>
    public static string DisplayName(string stored) => stored.IndexOf('-', StringComparison.Ordinal) is var dash and > 0 ? stored[(dash + 1)..] : stored;

    /// <summary>Storage's "/object/sign/{bucket}/{path}?token=…" as a link under the gateway's /supabase prefix, path segments escaped.</summary>
    private static string GatewayLink(string signedUrl)
    {
        var query = signedUrl.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? signedUrl : signedUrl[..query];
        return "/supabase/storage/v1" + string.Join('/', path.Split('/').Select(Uri.EscapeDataString)) + (query < 0 ? "" : signedUrl[query..]);
    }

    private static string Path(string userId, string name) => Uri.EscapeDataString(userId) + "/" + Uri.EscapeDataString(name);

    private async Task<WriteResult> WriteAsync(HttpRequestMessage request, string what, CancellationToken ct)
    {
        try
        {
            using var response = await SendAsync(request, ct);
            return response.IsSuccessStatusCode ? WriteResult.Saved : await RefusedAsync(response, what, ct);
        }
        catch (SupabaseUnavailableException)
        {
            return WriteResult.Unavailable;
        }
    }

    /// <summary>Storage answers client errors with HTTP 400 and the meaning in the body's statusCode.</summary>
    private async Task<WriteResult> RefusedAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        logger.LogWarning("Supabase Storage refused a {What}: {Status} {Body}", what, (int)response.StatusCode, body.Length > 300 ? body[..300] : body);
        if (response.StatusCode >= HttpStatusCode.InternalServerError)
        {
            return WriteResult.Unavailable;
        }
        try
        {
            using var error = JsonDocument.Parse(body);
            var code = error.RootElement.TryGetProperty("statusCode", out var s) ? s.ToString() : "";
            var message = error.RootElement.TryGetProperty("message", out var m) ? m.ToString() : "";
            return code == "400" && message.Contains("exp", StringComparison.Ordinal) || response.StatusCode == HttpStatusCode.Unauthorized
                ? WriteResult.SessionExpired
                : WriteResult.Rejected;
        }
        catch (JsonException)
        {
            return WriteResult.Rejected;
        }
    }

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
        SupabaseCall.SendAsync(http, request, HttpCompletionOption.ResponseHeadersRead, "Supabase Storage", ct);

    private static Task<SupabaseUnavailableException> FailureAsync(HttpResponseMessage response, CancellationToken ct) =>
        SupabaseCall.FailureAsync(response, "Supabase Storage", ct);

    private HttpRequestMessage Request(HttpMethod method, string path, string userToken)
    {
        var request = new HttpRequestMessage(method, $"{options.Value.Url.TrimEnd('/')}/storage/v1/{path}");
        request.Headers.Add("apikey", options.Value.AnonKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", userToken);
        return request;
    }
}

public sealed record ListRequest(string Prefix, int Limit, int Offset, SortBy SortBy);

public sealed record SortBy(string Column, string Order);

public sealed record RemoveRequest(string[] Prefixes);

public sealed record SignRequest(int ExpiresIn, string[] Paths);

public sealed record StoredObjectSize(long Size);

public sealed record StoredObject(string Name, string? Id, [property: JsonPropertyName("created_at")] DateTimeOffset? CreatedAt, StoredObjectSize? Metadata);

public sealed record SignedObjectUrl(string Path, string? Error, [property: JsonPropertyName("signedURL")] string? SignedUrl);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ListRequest))]
[JsonSerializable(typeof(RemoveRequest))]
[JsonSerializable(typeof(SignRequest))]
[JsonSerializable(typeof(List<StoredObject>))]
[JsonSerializable(typeof(List<SignedObjectUrl>))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;

public static class SupabaseStorageServiceCollectionExtensions
{
    /// <summary>Server-side Supabase Storage (same Supabase settings as REST). Uploads stream, so no overall timeout.</summary>
    public static IServiceCollection AddSupabaseStorage(this IServiceCollection services)
    {
        services.AddHttpClient<SupabaseStorage>(client => client.Timeout = Timeout.InfiniteTimeSpan);
        return services;
    }
}
