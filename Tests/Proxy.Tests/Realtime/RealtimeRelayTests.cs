using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Proxy.Realtime;

namespace Proxy.Tests.Realtime;

/// <summary>The relay on the wire: what reaches Realtime, what comes back, and when sockets close.</summary>
public sealed class RealtimeRelayTests(RelayHarness relay) : IClassFixture<RelayHarness>
{
    [Fact]
    public async Task Anonymous_socket_connects_with_the_project_key_and_keeps_the_clients_other_parameters()
    {
        using var client = await relay.ConnectAsync("apikey=sb_publishable_client&vsn=2.0.0&log_level=info");
        var upstream = await relay.NextUpstreamAsync();

        Assert.Contains($"apikey={RelayHarness.AnonKey}", upstream.Query);
        Assert.DoesNotContain("sb_publishable_client", upstream.Query);
        Assert.Contains("vsn=2.0.0", upstream.Query);
        Assert.Contains("log_level=info", upstream.Query);
        Assert.Equal("", upstream.CookieHeader);

        await RelayHarness.SendTextAsync(client, """["1","1","realtime:lobby","phx_join",{"access_token":"sb_publishable_client"}]""");
        var join = JsonNode.Parse((await RelayHarness.ReceiveFromUpstreamAsync(upstream)).Text)!;
        Assert.Equal(RelayHarness.AnonKey, (string?)join[4]!["access_token"]);
    }

    [Fact]
    public async Task A_missing_vsn_is_made_explicit_as_1_0_0()
    {
        using var client = await relay.ConnectAsync("apikey=x");
        var upstream = await relay.NextUpstreamAsync();

        Assert.Contains("vsn=1.0.0", upstream.Query);
    }

    [Fact]
    public async Task Signed_in_join_carries_the_minted_token_and_other_frames_pass_byte_for_byte()
    {
        var (cookie, session) = relay.Sessions.AddLive(TimeSpan.FromMinutes(5));
        using var client = await relay.ConnectAsync("vsn=1.0.0", cookie);
        var upstream = await relay.NextUpstreamAsync();
        Assert.Equal("", upstream.CookieHeader); // our cookie never reaches Supabase

        await RelayHarness.SendTextAsync(client, """{"topic":"realtime:room","event":"phx_join","payload":{"config":{},"access_token":"placeholder","user_token":"x"},"ref":"1","join_ref":"1"}""");
        var join = JsonNode.Parse((await RelayHarness.ReceiveFromUpstreamAsync(upstream)).Text)!;
        Assert.Equal(session.Minted.Single(), (string?)join["payload"]!["access_token"]);
        Assert.Null(join["payload"]!["user_token"]);

        // Heartbeat, broadcast text, garbage text and a kind-3 binary frame: untouched both ways (the fake echoes).
        var binary = new byte[] { 3, 1, 1, 13, 3, 0, 1, (byte)'1', (byte)'2' }
            .Concat(Encoding.UTF8.GetBytes("realtime:roommsg{\"n\":1}")).ToArray();
        string[] texts =
        [
            """{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"2"}""",
            """{"topic":"realtime:room","event":"broadcast","payload":{"type":"broadcast","event":"m","payload":{"access_token":"user data"}},"ref":"3","join_ref":"1"}""",
            "{not json \"phx_join\"",
        ];
        foreach (var text in texts)
        {
            await RelayHarness.SendTextAsync(client, text);
            Assert.Equal(text, (await RelayHarness.ReceiveFromUpstreamAsync(upstream)).Text);
        }
        await client.SendAsync(binary, WebSocketMessageType.Binary, true, CancellationToken.None);
        var relayed = await RelayHarness.ReceiveFromUpstreamAsync(upstream);
        Assert.Equal(WebSocketMessageType.Binary, relayed.Type);
        Assert.Equal(binary, relayed.Data);

        // The echoes come back to the client unchanged, after the join's echo.
        Assert.Contains("phx_join", (await RelayHarness.ReceiveAsync(client)).Text);
        foreach (var text in texts)
        {
            Assert.Equal(text, (await RelayHarness.ReceiveAsync(client)).Text);
        }
        Assert.Equal(binary, (await RelayHarness.ReceiveAsync(client)).Data);
    }

    [Fact]
    public async Task A_fragmented_join_is_assembled_and_rewritten_as_one_message()
    {
        var (cookie, session) = relay.Sessions.AddLive(TimeSpan.FromMinutes(5));
        using var client = await relay.ConnectAsync("vsn=2.0.0", cookie);
        var upstream = await relay.NextUpstreamAsync();

        var join = Encoding.UTF8.GetBytes("""["1","1","realtime:frag","phx_join",{"access_token":"placeholder"}]""");
        await client.SendAsync(join.AsMemory(0, 10), WebSocketMessageType.Text, false, CancellationToken.None);
        await client.SendAsync(join.AsMemory(10, 20), WebSocketMessageType.Text, false, CancellationToken.None);
        await client.SendAsync(join.AsMemory(30), WebSocketMessageType.Text, true, CancellationToken.None);

        var received = JsonNode.Parse((await RelayHarness.ReceiveFromUpstreamAsync(upstream)).Text)!;
        Assert.Equal(session.Minted.Single(), (string?)received[4]!["access_token"]);
    }

    [Fact]
    public async Task Tokens_are_rotated_for_joined_topics_before_they_expire_and_not_after_leave()
    {
        var (cookie, session) = relay.Sessions.AddLive(TimeSpan.FromSeconds(1));
        using var client = await relay.ConnectAsync("vsn=2.0.0", cookie);
        var upstream = await relay.NextUpstreamAsync();
        upstream.Echo = false;

        await RelayHarness.SendTextAsync(client, """["5","5","realtime:a","phx_join",{"access_token":"p"}]""");
        await RelayHarness.SendTextAsync(client, """["6","6","realtime:b","phx_join",{"access_token":"p"}]""");
        await RelayHarness.ReceiveFromUpstreamAsync(upstream);
        await RelayHarness.ReceiveFromUpstreamAsync(upstream);

        // Each rotation pushes the next minted token to both topics, with refs the client never uses.
        var pushes = new List<JsonArray>();
        var watch = Stopwatch.StartNew();
        while (pushes.Count < 4)
        {
            pushes.Add(JsonNode.Parse((await RelayHarness.ReceiveFromUpstreamAsync(upstream, TimeSpan.FromSeconds(3))).Text)!.AsArray());
        }
        Assert.All(pushes, push =>
        {
            Assert.Equal("access_token", (string?)push[3]);
            Assert.StartsWith("gw-", (string?)push[1]);
        });
        Assert.Equal(["realtime:a", "realtime:b"], pushes.Take(2).Select(p => (string?)p[2]).Order());
        Assert.Equal("5", (string?)pushes.Take(2).Single(p => (string?)p[2] == "realtime:a")[0]);
        var minted = session.Minted.ToArray();
        Assert.Equal(minted[1], (string?)pushes[0][4]!["access_token"]);
        Assert.Equal(minted[2], (string?)pushes[2][4]!["access_token"]);
        // Two rotations of a 1 s token: the first after ~0.75 s, well before expiry.
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(4));

        // Realtime's reply to one of our pushes never reaches the client.
        await upstream.SendTextAsync("""["5","gw-1","realtime:a","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""");
        await upstream.SendTextAsync("""[null,null,"realtime:a","broadcast",{"n":1}]""");
        Assert.Contains("broadcast", (await RelayHarness.ReceiveAsync(client)).Text);

        // After leaving a and Realtime closing b, rotations stop pushing.
        await RelayHarness.SendTextAsync(client, """["5","7","realtime:a","phx_leave",{}]""");
        await upstream.SendTextAsync("""["6","6","realtime:b","phx_close",{}]""");
        await Task.Delay(300);
        while (upstream.Received.Reader.TryRead(out _))
        {
        }
        await Task.Delay(1500);
        Assert.False(upstream.Received.Reader.TryRead(out var late), $"unexpected push after leave: {late?.Text}");
    }

    [Fact]
    public async Task Revocation_closes_the_client_with_4001_within_a_fraction_of_a_second()
    {
        var (cookie, session) = relay.Sessions.AddLive(TimeSpan.FromMinutes(5));
        using var client = await relay.ConnectAsync("vsn=2.0.0", cookie);
        var upstream = await relay.NextUpstreamAsync();

        var watch = Stopwatch.StartNew();
        relay.Sessions.Revoke(session);
        var closed = await RelayHarness.ReceiveAsync(client);
        watch.Stop();

        Assert.Equal(WebSocketMessageType.Close, closed.Type);
        Assert.Equal(4001, (int?)client.CloseStatus);
        Assert.Equal("session revoked", client.CloseStatusDescription);
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(500), $"closed after {watch.ElapsedMilliseconds} ms");
        await upstream.Closed.WaitAsync(TimeSpan.FromSeconds(3)); // Realtime's side is closed too
    }

    [Fact]
    public async Task A_session_that_ends_at_renewal_is_closed_like_a_revoked_one()
    {
        var (cookie, session) = relay.Sessions.AddLive(TimeSpan.FromSeconds(1));
        using var client = await relay.ConnectAsync("vsn=2.0.0", cookie);
        await relay.NextUpstreamAsync();
        session.State = Proxy.Sessions.SessionState.Ended; // no event: only the rotation finds out

        var closed = await RelayHarness.ReceiveAsync(client, TimeSpan.FromSeconds(3));

        Assert.Equal(WebSocketMessageType.Close, closed.Type);
        Assert.Equal(4001, (int?)client.CloseStatus);
    }

    [Theory]
    [InlineData("http://evil.example", HttpStatusCode.Forbidden)]
    [InlineData(null, HttpStatusCode.Forbidden)]
    [InlineData("http://app.example.test.evil.example", HttpStatusCode.Forbidden)]
    public async Task Upgrades_from_foreign_origins_are_refused_before_reaching_realtime(string? origin, HttpStatusCode expected)
    {
        var (cookie, _) = relay.Sessions.AddLive(TimeSpan.FromMinutes(5));
        var before = relay.Upstream.ConnectionCount;

        var error = await Assert.ThrowsAsync<WebSocketException>(() => relay.ConnectAsync("vsn=2.0.0", cookie, origin));

        Assert.Contains(((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.Equal(before, relay.Upstream.ConnectionCount);
    }

    [Fact]
    public async Task Ended_and_unavailable_sessions_are_refused_with_401_and_503_never_anonymous()
    {
        var (ended, endedSession) = relay.Sessions.AddLive(TimeSpan.FromMinutes(5));
        endedSession.State = Proxy.Sessions.SessionState.Ended;
        var (unavailable, unavailableSession) = relay.Sessions.AddLive(TimeSpan.FromMinutes(5));
        unavailableSession.State = Proxy.Sessions.SessionState.Unavailable;

        using var http = new HttpClient();
        foreach (var (cookie, status, code) in new[] { (ended, 401, "session_expired"), (unavailable, 503, "session_store_unavailable") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, relay.RelayUrl.ToString().Replace("ws://", "http://", StringComparison.Ordinal) + "?vsn=2.0.0");
            request.Headers.Add("Connection", "Upgrade");
            request.Headers.Add("Upgrade", "websocket");
            request.Headers.Add("Sec-WebSocket-Version", "13");
            request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(new byte[16]));
            request.Headers.Add("Origin", RelayHarness.PublicOrigin);
            request.Headers.Add("Cookie", $"{FakeSessionCache.CookieName}={cookie}");
            using var response = await http.SendAsync(request);

            Assert.Equal(status, (int)response.StatusCode);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(code, (string?)body["code"]);
            Assert.False(string.IsNullOrEmpty((string?)body["message"]));
        }
    }

    [Fact]
    public async Task An_oversized_message_closes_with_1009_and_the_relay_keeps_serving()
    {
        using var client = await relay.ConnectAsync("vsn=2.0.0");
        await relay.NextUpstreamAsync();

        var huge = new byte[RelayHarness.MaxMessageBytes + 1];
        huge.AsSpan().Fill((byte)'a');
        await client.SendAsync(huge, WebSocketMessageType.Text, true, CancellationToken.None);
        var closed = await RelayHarness.ReceiveAsync(client);

        Assert.Equal(WebSocketMessageType.Close, closed.Type);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, client.CloseStatus);

        using var next = await relay.ConnectAsync("vsn=2.0.0");
        var upstream = await relay.NextUpstreamAsync();
        await RelayHarness.SendTextAsync(next, "[null,\"1\",\"phoenix\",\"heartbeat\",{}]");
        Assert.Contains("heartbeat", (await RelayHarness.ReceiveFromUpstreamAsync(upstream)).Text);
    }

    [Fact]
    public async Task Losing_realtime_closes_the_client_and_a_client_close_reaches_realtime()
    {
        using var first = await relay.ConnectAsync("vsn=2.0.0");
        var firstUpstream = await relay.NextUpstreamAsync();
        firstUpstream.Abort();
        var closed = await RelayHarness.ReceiveAsync(first);
        Assert.Equal(WebSocketMessageType.Close, closed.Type);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, first.CloseStatus);

        using var second = await relay.ConnectAsync("vsn=2.0.0");
        var secondUpstream = await relay.NextUpstreamAsync();
        await second.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await secondUpstream.Closed.WaitAsync(TimeSpan.FromSeconds(3)));
        Assert.Equal(WebSocketState.Closed, second.State);
    }
}
