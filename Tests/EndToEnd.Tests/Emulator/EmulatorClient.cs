using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TestSupport;

namespace EndToEnd.Tests.Emulator;

/// <summary>A signed-in GoTrue session as the emulator returned it.</summary>
public sealed record EmulatorSession(JsonObject Body)
{
    public string AccessToken => Body["access_token"]!.GetValue<string>();

    public string RefreshToken => Body["refresh_token"]!.GetValue<string>();

    public string UserId => Body["user"]!["id"]!.GetValue<string>();

    public JsonObject Claims => EmulatorClient.Payload(AccessToken);
}

/// <summary>Plain HTTP calls to the emulator, the way supabase-js (or a gateway in front) makes them.</summary>
public sealed class EmulatorClient(Uri baseAddress) : IDisposable
{
    public const string Password = "correct-horse-battery";

    public HttpClient Http { get; } = new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = baseAddress };

    public static string NewEmail(string prefix) => $"{prefix}-{Guid.NewGuid():N}@example.com";

    public async Task<EmulatorSession> SignUpAsync(string? email = null)
    {
        using var response = await SendAsync(HttpMethod.Post, "/auth/v1/signup", new { email = email ?? NewEmail("user"), password = Password });
        return new EmulatorSession(await ReadObjectAsync(response, expectSuccess: true));
    }

    public async Task<EmulatorSession> SignInAsync(string email, string password = Password)
    {
        using var response = await SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", new { email, password });
        return new EmulatorSession(await ReadObjectAsync(response, expectSuccess: true));
    }

    /// <summary>Sends with the CLI anon key as apikey (what a gateway sets); a bearer token and extra headers when given.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? bearer = null,
        IReadOnlyDictionary<string, string>? headers = null, string? apiKey = LocalSupabaseKeys.AnonKey)
    {
        var request = new HttpRequestMessage(method, path);
        if (apiKey is not null)
        {
            request.Headers.Add("apikey", apiKey);
        }
        if (bearer is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        }
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, MediaTypeHeaderValue.Parse("application/json"));
        }
        return Http.SendAsync(request);
    }

    public static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response, bool expectSuccess = false)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (expectSuccess && !response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode} from {response.RequestMessage?.RequestUri}: {text}");
        }
        return JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException("Expected a JSON object: " + text);
    }

    public static async Task<JsonArray> ReadArrayAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) as JsonArray ?? throw new InvalidOperationException($"{(int)response.StatusCode}: expected a JSON array: " + text);
    }

    public async Task<JsonArray> OutboxAsync(string email) =>
        (await Http.GetFromJsonAsync<JsonArray>($"/__emulator/outbox?email={Uri.EscapeDataString(email)}"))!;

    /// <summary>The payload of a JWT, unverified.</summary>
    public static JsonObject Payload(string jwt) => (JsonObject)JsonNode.Parse(Base64Url.DecodeFromChars(jwt.Split('.')[1]))!;

    public static JsonObject Header(string jwt) => (JsonObject)JsonNode.Parse(Base64Url.DecodeFromChars(jwt.Split('.')[0]))!;

    /// <summary>An HS256 token signed with the CLI secret (or another), optionally with a kid.</summary>
    public static string Sign(JsonObject claims, string secret = LocalSupabaseKeys.JwtSecret, string? kid = null)
    {
        var header = new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT" };
        if (kid is not null)
        {
            header["kid"] = kid;
        }
        var signingInput = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return signingInput + "." + Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(signingInput)));
    }

    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public void Dispose() => Http.Dispose();
}
