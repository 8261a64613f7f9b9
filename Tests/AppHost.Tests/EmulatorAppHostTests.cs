using Microsoft.Extensions.DependencyInjection;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace AppHost.Tests;

/// <summary>The AppHost as `dotnet run --project AppHost` starts it on a machine without a container runtime.</summary>
[Collection(EmulatorAppHostCollection.Name)]
public sealed class EmulatorAppHostTests(EmulatorAppHostFixture host, ITestOutputHelper output)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Sign_up_sign_in_use_supabase_under_RLS_and_sign_out_through_the_proxy()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await GatewayJourney.RunAsync(host.ProxyUrl, host.SupabaseUrl, host.AnonKey, timeout.Token);
    }

    [Fact]
    public async Task The_dashboard_shows_emulator_mode_and_the_emulator_by_name()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var mode = await host.App.ResourceNotifications.WaitForResourceAsync("local-infrastructure",
            e => e.Snapshot.State?.Text is { Length: > 0 }, timeout.Token);
        Assert.Equal("Emulator mode", mode.Snapshot.State?.Text);
        Assert.Contains(mode.Snapshot.Properties, p => p.Name == "runs" && (p.Value as string ?? "").Contains("Supabase emulator", StringComparison.Ordinal));

        var model = host.App.Services.GetRequiredService<DistributedApplicationModel>();
        Assert.Contains(model.Resources, r => r.Name == "supabase-emulator" && r is ProjectResource);
        Assert.DoesNotContain(model.Resources, r => r.Name == "supabase"); // the CLI stack only runs in containers mode
        var redis = Assert.Single(model.Resources, r => r.Name == "redis");
        Assert.IsNotType<Aspire.Hosting.ApplicationModel.RedisResource>(redis); // redis-server, not a container

        // Redis keeps its append-only file in the data directory the AppHost was given.
        Assert.True(Directory.Exists(Path.Combine(host.DataDirectory, "redis", "appendonlydir")),
            $"no appendonlydir under {host.DataDirectory}");
    }

    [Fact]
    public async Task Both_loopback_spellings_of_the_proxy_origin_sign_in_and_get_pages()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var port = host.ProxyUrl.Port;
        foreach (var origin in new[] { $"http://localhost:{port}", $"http://127.0.0.1:{port}" })
        {
            using var browser = new BrowserLikeClient(new Uri(origin + "/"), host.AnonKey, origin);
            var (email, credentials) = GatewayJourney.NewUser();
            using (var signUp = await browser.Http.PostAsJsonAsync("/supabase/auth/v1/signup", credentials, ct))
            {
                await HttpAssert.StatusAsync(HttpStatusCode.OK, signUp, ct);
            }
            await GatewayJourney.SignInAsync(browser, credentials, ct);
            var session = await browser.Http.GetFromJsonAsync<JsonElement>("/edge/v1/session", ct);
            Assert.Equal(email, session.GetProperty("user").GetProperty("email").GetString());
            using var page = await browser.Http.GetAsync("/", ct);
            await HttpAssert.StatusAsync(HttpStatusCode.OK, page, ct);
        }

        // A foreign origin is still refused on unsafe requests.
        using var foreign = new BrowserLikeClient(host.ProxyUrl, host.AnonKey, "http://evil.example");
        using var refused = await foreign.Http.PostAsJsonAsync("/supabase/auth/v1/token?grant_type=password", GatewayJourney.NewUser().Credentials, ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task A_realtime_broadcast_passes_the_relay_and_revoking_the_session_from_another_device_closes_the_socket()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var (_, credentials) = GatewayJourney.NewUser();

        using var laptop = new BrowserLikeClient(host.ProxyUrl, host.AnonKey);
        using (var signUp = await laptop.Http.PostAsJsonAsync("/supabase/auth/v1/signup", credentials, ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, signUp, ct);
        }
        var placeholder = await GatewayJourney.SignInAsync(laptop, credentials, ct);

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", laptop.Origin);
        socket.Options.SetRequestHeader("Cookie", laptop.Jar.CookieHeader);
        await socket.ConnectAsync(new Uri($"ws://{host.ProxyUrl.Authority}/supabase/realtime/v1/websocket?apikey={host.AnonKey}&vsn=1.0.0"), ct);

        var topic = $"realtime:apphost-{Guid.NewGuid():N}";
        await SendAsync(socket, new JsonObject
        {
            ["topic"] = topic, ["event"] = "phx_join", ["ref"] = "1", ["join_ref"] = "1",
            ["payload"] = new JsonObject
            {
                ["config"] = new JsonObject
                {
                    ["broadcast"] = new JsonObject { ["self"] = true, ["ack"] = true },
                    ["presence"] = new JsonObject { ["key"] = "" },
                    ["postgres_changes"] = new JsonArray(),
                    ["private"] = false,
                },
                // supabase-js sends the token it holds: the relay swaps it for one the SessionApi minted.
                ["access_token"] = placeholder,
            },
        }, ct);
        var joined = await ReceiveUntilAsync(socket, m => m["event"]?.GetValue<string>() == "phx_reply" && m["ref"]?.GetValue<string>() == "1", ct);
        Assert.Equal("ok", joined!["payload"]?["status"]?.GetValue<string>());

        var greeting = $"hello {Guid.NewGuid():N}";
        await SendAsync(socket, new JsonObject
        {
            ["topic"] = topic, ["event"] = "broadcast", ["ref"] = "2", ["join_ref"] = "1",
            ["payload"] = new JsonObject { ["type"] = "broadcast", ["event"] = "greeting", ["payload"] = new JsonObject { ["text"] = greeting } },
        }, ct);
        var echoed = await ReceiveUntilAsync(socket, m => m["event"]?.GetValue<string>() == "broadcast", ct);
        Assert.Equal(greeting, echoed!["payload"]?["payload"]?["text"]?.GetValue<string>());

        // The same user signs in on a phone and signs out everywhere else: the laptop's socket is closed.
        using var phone = new BrowserLikeClient(host.ProxyUrl, host.AnonKey);
        await GatewayJourney.SignInAsync(phone, credentials, ct);
        var revokedAt = System.Diagnostics.Stopwatch.StartNew();
        using (var revoke = await phone.Http.DeleteAsync("/edge/v1/sessions?scope=others", ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, revoke, ct);
        }
        var closed = await ReceiveUntilAsync(socket, _ => false, ct);
        Assert.Null(closed); // ended by a close frame, not a message
        output.WriteLine($"socket closed {revokedAt.ElapsedMilliseconds} ms after the revocation request");
        Assert.Equal(4001, (int?)socket.CloseStatus);
        Assert.Equal("session revoked", socket.CloseStatusDescription);
        Assert.True(revokedAt.Elapsed < TimeSpan.FromSeconds(5), $"closed only after {revokedAt.Elapsed}");

        // The laptop's cookie is refused from now on.
        using var after = await laptop.Http.GetAsync("/edge/v1/session", ct);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task The_emulators_email_links_go_through_the_proxy()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var proxyOrigin = $"http://127.0.0.1:{host.ProxyUrl.Port}";
        using var browser = new BrowserLikeClient(new Uri(proxyOrigin + "/"), host.AnonKey, proxyOrigin);
        var (email, credentials) = GatewayJourney.NewUser();
        using (var signUp = await browser.Http.PostAsJsonAsync("/supabase/auth/v1/signup", credentials, ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, signUp, ct);
        }
        using (var magicLink = await browser.Http.PostAsJsonAsync($"/supabase/auth/v1/otp?redirect_to={Uri.EscapeDataString(proxyOrigin + "/account")}",
            new { email, create_user = false }, ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, magicLink, ct);
        }

        using var emulator = new HttpClient { BaseAddress = host.SupabaseUrl };
        var mails = await emulator.GetFromJsonAsync<JsonElement>($"/__emulator/outbox?email={Uri.EscapeDataString(email)}", ct);
        var mail = mails.EnumerateArray().Last();
        var link = mail.GetProperty("link").GetString()!;
        Assert.StartsWith(proxyOrigin + "/supabase/auth/v1/verify?", link);
        // No code_challenge was sent, so the gateway owns the flow: GoTrue returns to the gateway's callback, which
        // keeps the app's target (/account) in this browser's flow cookie (README, "Redirecting sign-ins").
        Assert.StartsWith(proxyOrigin + "/edge/v1/auth/callback?flow=", mail.GetProperty("redirectTo").GetString());
    }

    private static Task SendAsync(ClientWebSocket socket, JsonObject message, CancellationToken ct) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, ct);

    /// <summary>The first text message matching; null when the socket closes first.</summary>
    private static async Task<JsonNode?> ReceiveUntilAsync(ClientWebSocket socket, Func<JsonNode, bool> match, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(), ct);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            if (result.MessageType == WebSocketMessageType.Text && JsonNode.Parse(message.ToArray()) is { } node && match(node))
            {
                return node;
            }
        }
    }
}
