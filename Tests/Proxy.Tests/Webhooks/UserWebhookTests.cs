using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Proxy;
using Proxy.Tests.Support;
using Proxy.Webhooks;
using TestSupport;

namespace Proxy.Tests.Webhooks;

/// <summary>The Proxy side of POST /edge/v1/hooks/user, in front of a fake SessionApi.</summary>
public sealed class UserWebhookTests : IClassFixture<UserWebhookTests.Harness>
{
    public static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    public static readonly string Secret = "whsec_" + Convert.ToBase64String(Key);

    private readonly Harness _harness;

    public UserWebhookTests(Harness harness) => _harness = harness;

    public sealed class Harness : ProxyHarness
    {
        protected override IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>
        {
            ["Gateway:UserWebhook:Secret"] = Secret,
            ["Gateway:UserWebhook:MaxBodyBytes"] = "4096",
        };
    }

    [Fact]
    public async Task ASignedUpdateReachesTheSessionApiAsTheApiUserObjectAndItsReplayIsRefused()
    {
        var userId = Guid.NewGuid().ToString();
        var body = Payload("UPDATE", Row(userId, email: "new@example.com", metadata: new JsonObject { ["name"] = "Renamed" }));
        var id = "msg_" + Guid.NewGuid();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        using var first = await PostAsync(body, id, timestamp, WebhookSignature.Sign(Key, id, timestamp, body));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var (_, request) = Assert.Single(_harness.SessionApi.UserChanges, c => c.UserId == userId);
        Assert.Equal("updated", request.Change);
        var user = JsonNode.Parse(request.User!.Value.GetRawText())!.AsObject();
        Assert.Equal("new@example.com", (string?)user["email"]);
        Assert.Equal("Renamed", (string?)user["user_metadata"]!["name"]);
        Assert.Equal("email", (string?)user["app_metadata"]!["provider"]);
        Assert.Equal("2026-01-02T03:04:05.123456Z", (string?)user["created_at"]);
        Assert.False(user.ContainsKey("encrypted_password"));
        Assert.False(user.ContainsKey("raw_user_meta_data"));

        // The very same delivery again (a captured request replayed inside the window): refused, nothing applied.
        using var replay = await PostAsync(body, id, timestamp, WebhookSignature.Sign(Key, id, timestamp, body));
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal("webhook_replayed", await CodeAsync(replay));
        Assert.Single(_harness.SessionApi.UserChanges, c => c.UserId == userId);
    }

    [Fact]
    public async Task ADeliveryThatCouldNotBeAppliedCanBeRetriedWithTheSameId()
    {
        var userId = Guid.NewGuid().ToString();
        var body = Payload("UPDATE", Row(userId, email: "retry@example.com"));
        var id = "msg_" + Guid.NewGuid();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = WebhookSignature.Sign(Key, id, timestamp, body);

        _harness.SessionApi.FailingUserChanges[userId] = 0;
        using (var failed = await PostAsync(body, id, timestamp, signature))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
            Assert.Equal("session_store_unavailable", await CodeAsync(failed));
        }
        Assert.DoesNotContain(_harness.SessionApi.UserChanges, c => c.UserId == userId);

        // The sender retries the same delivery (Standard Webhooks keeps the id): it is applied, not called a replay.
        _harness.SessionApi.FailingUserChanges.TryRemove(userId, out _);
        using var retried = await PostAsync(body, id, timestamp, signature);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Single(_harness.SessionApi.UserChanges, c => c.UserId == userId);

        using var replay = await PostAsync(body, id, timestamp, signature);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
    }

    [Theory]
    [InlineData("ban")]
    [InlineData("soft-delete")]
    [InlineData("delete")]
    public async Task BansAndDeletionsAskForEverySessionToEnd(string what)
    {
        var userId = Guid.NewGuid().ToString();
        var body = what switch
        {
            "ban" => Payload("UPDATE", Row(userId, bannedUntil: DateTimeOffset.UtcNow.AddHours(24))),
            "soft-delete" => Payload("UPDATE", Row(userId, deletedAt: DateTimeOffset.UtcNow)),
            _ => Payload("DELETE", null, Row(userId)),
        };
        using var response = await SendSignedAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (_, request) = Assert.Single(_harness.SessionApi.UserChanges, c => c.UserId == userId);
        Assert.Equal(what == "ban" ? "banned" : "deleted", request.Change);
    }

    [Fact]
    public async Task ASignedPayloadRepeatingAKeyIsABadRequestThatChangesNothing()
    {
        // Issue 20, point 7: this was a 500 (the duplicate surfaced only when the record was read).
        var userId = Guid.NewGuid().ToString();
        var body = System.Text.Encoding.UTF8.GetBytes(
            $$"""{"type":"UPDATE","table":"users","schema":"auth","record":{"id":"{{userId}}","id":"{{Guid.NewGuid()}}","email":"a@example.com"},"old_record":null}""");
        using var response = await SendSignedAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("webhook_payload", await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain(_harness.SessionApi.UserChanges, c => c.UserId == userId);
    }

    [Fact]
    public async Task AnExpiredBanIsAnOrdinaryUpdate()
    {
        var userId = Guid.NewGuid().ToString();
        using var response = await SendSignedAsync(Payload("UPDATE", Row(userId, bannedUntil: DateTimeOffset.UtcNow.AddMinutes(-1))));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("updated", Assert.Single(_harness.SessionApi.UserChanges, c => c.UserId == userId).Request.Change);
    }

    [Theory]
    [InlineData("bad-signature", HttpStatusCode.Unauthorized, "webhook_signature")]
    [InlineData("wrong-secret", HttpStatusCode.Unauthorized, "webhook_signature")]
    [InlineData("body-changed", HttpStatusCode.Unauthorized, "webhook_signature")]
    [InlineData("old", HttpStatusCode.Unauthorized, "webhook_timestamp")]
    [InlineData("future", HttpStatusCode.Unauthorized, "webhook_timestamp")]
    [InlineData("no-signature", HttpStatusCode.BadRequest, "webhook_malformed")]
    [InlineData("no-id", HttpStatusCode.BadRequest, "webhook_malformed")]
    [InlineData("timestamp-not-a-number", HttpStatusCode.BadRequest, "webhook_malformed")]
    [InlineData("too-large", HttpStatusCode.RequestEntityTooLarge, "request_too_large")]
    [InlineData("not-auth-users", HttpStatusCode.BadRequest, "webhook_payload")]
    public async Task RefusedDeliveriesChangeNothing(string fault, HttpStatusCode status, string code)
    {
        var userId = Guid.NewGuid().ToString();
        var body = Payload("UPDATE", Row(userId, metadata: fault == "too-large" ? new JsonObject { ["bio"] = new string('x', 5000) } : null));
        var id = "msg_" + Guid.NewGuid();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + fault switch { "old" => -301, "future" => 301, _ => 0 };
        var signature = WebhookSignature.Sign(Key, id, timestamp, body);
        string? timestampHeader = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture);
        switch (fault)
        {
            case "bad-signature":
                signature = "v1," + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
                break;
            case "wrong-secret":
                signature = WebhookSignature.Sign(RandomNumberGenerator.GetBytes(32), id, timestamp, body);
                break;
            case "body-changed":
                body = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("user@example.com", "evil@example.com", StringComparison.Ordinal));
                break;
            case "no-signature":
                signature = null;
                break;
            case "no-id":
                id = null!;
                break;
            case "timestamp-not-a-number":
                timestampHeader = "yesterday";
                break;
            case "not-auth-users":
                body = Encoding.UTF8.GetBytes("""{"type":"UPDATE","table":"posts","schema":"public","record":{"id":"1"}}""");
                signature = WebhookSignature.Sign(Key, id, timestamp, body);
                break;
        }
        using var response = await PostAsync(body, id, timestampHeader, signature);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, await CodeAsync(response));
        Assert.DoesNotContain(_harness.SessionApi.UserChanges, c => c.UserId == userId);
    }

    [Fact]
    public async Task DuringASecretRotationAnyListedSignatureMayMatch()
    {
        var userId = Guid.NewGuid().ToString();
        var body = Payload("UPDATE", Row(userId));
        var id = "msg_" + Guid.NewGuid();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signatures = WebhookSignature.Sign(RandomNumberGenerator.GetBytes(32), id, timestamp, body) + " " + WebhookSignature.Sign(Key, id, timestamp, body);
        using var response = await PostAsync(body, id, timestamp, signatures);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TheCsrfOriginCheckDoesNotApplyToServerToServerDeliveries()
    {
        // pg_net sends no cookie; a foreign Origin header alone must not stop a correctly signed delivery.
        var userId = Guid.NewGuid().ToString();
        var body = Payload("UPDATE", Row(userId));
        var id = "msg_" + Guid.NewGuid();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = Request(body, id, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), WebhookSignature.Sign(Key, id, timestamp, body));
        request.Headers.Add("Origin", "https://db.supabase.example");
        using var response = await _harness.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(_harness.SessionApi.UserChanges, c => c.UserId == userId);
    }

    [Fact]
    public async Task WithoutASecretTheEndpointDoesNotExist()
    {
        var plain = new ProxyHarness();
        await plain.InitializeAsync();
        try
        {
            var body = Payload("UPDATE", Row(Guid.NewGuid().ToString()));
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            using var request = Request(body, "msg_1", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), WebhookSignature.Sign(Key, "msg_1", timestamp, body));
            using var response = await plain.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Empty(plain.SessionApi.UserChanges);
        }
        finally
        {
            await plain.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("Gateway:UserWebhook:Secret", "not-a-whsec-secret")]
    [InlineData("Gateway:UserWebhook:Secret", "whsec_dG9vLXNob3J0")] // 9 bytes
    [InlineData("Gateway:UserWebhook:Secret", "whsec_***")]
    [InlineData("Gateway:UserWebhook:ToleranceSeconds", "0")]
    [InlineData("Gateway:UserWebhook:MaxBodyBytes", "10")]
    public async Task BadWebhookSettingsStopStartupNamingTheSetting(string key, string value)
    {
        var settings = ProxyStartup.ValidSettings();
        settings["Gateway:UserWebhook:Secret"] = Secret;
        settings[key] = value;
        var error = await ProxyStartup.ErrorAsync(settings);
        Assert.NotNull(error);
        Assert.Contains(key, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheGoTrueStyleSecretFormIsAccepted()
    {
        Assert.Equal(Key, WebhookSignature.DecodeSecret("v1," + Secret));
        Assert.Equal(Key, WebhookSignature.DecodeSecret(Secret));
        Assert.Null(WebhookSignature.DecodeSecret(Convert.ToBase64String(Key)));
    }

    private async Task<HttpResponseMessage> SendSignedAsync(byte[] body)
    {
        var id = "msg_" + Guid.NewGuid();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return await PostAsync(body, id, timestamp, WebhookSignature.Sign(Key, id, timestamp, body));
    }

    private Task<HttpResponseMessage> PostAsync(byte[] body, string? id, long timestamp, string? signature) =>
        PostAsync(body, id, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), signature);

    private async Task<HttpResponseMessage> PostAsync(byte[] body, string? id, string? timestamp, string? signature)
    {
        using var request = Request(body, id, timestamp, signature);
        return await _harness.Client.SendAsync(request);
    }

    private static HttpRequestMessage Request(byte[] body, string? id, string? timestamp, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, UserWebhookEndpoint.Path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        foreach (var (name, value) in new[] { ("webhook-id", id), ("webhook-timestamp", timestamp), ("webhook-signature", signature) })
        {
            if (value is not null)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        return request;
    }

    private static async Task<string?> CodeAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())?["code"]?.GetValue<string>();

    private static byte[] Payload(string type, JsonObject? record, JsonObject? oldRecord = null) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["type"] = type,
            ["table"] = "users",
            ["schema"] = "auth",
            ["record"] = record,
            ["old_record"] = oldRecord ?? record?.DeepClone(),
        }.ToJsonString());

    /// <summary>An auth.users row as to_jsonb prints it (times with +00:00, the hashed password included).</summary>
    private static JsonObject Row(string id, string email = "user@example.com", JsonObject? metadata = null,
        DateTimeOffset? bannedUntil = null, DateTimeOffset? deletedAt = null) => new()
    {
        ["id"] = id,
        ["aud"] = "authenticated",
        ["role"] = "authenticated",
        ["email"] = email,
        ["encrypted_password"] = "$2a$10$abcdefghijklmnopqrstuv",
        ["email_confirmed_at"] = "2026-01-02T03:04:05.123456+00:00",
        ["phone"] = null,
        ["last_sign_in_at"] = null,
        ["raw_app_meta_data"] = new JsonObject { ["provider"] = "email", ["providers"] = new JsonArray("email") },
        ["raw_user_meta_data"] = metadata ?? new JsonObject { ["name"] = "User" },
        ["banned_until"] = bannedUntil?.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", System.Globalization.CultureInfo.InvariantCulture),
        ["deleted_at"] = deletedAt?.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", System.Globalization.CultureInfo.InvariantCulture),
        ["is_anonymous"] = false,
        ["created_at"] = "2026-01-02T03:04:05.123456+00:00",
        ["updated_at"] = "2026-01-02T03:04:05.123456+00:00",
    };
}
