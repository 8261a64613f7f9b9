using System.Text;
using System.Text.Json.Nodes;
using Proxy.Realtime;

namespace Proxy.Tests.Realtime;

public sealed class PhoenixFramesTests
{
    private const string Minted = "minted.jwt.token";

    [Fact]
    public void V1_join_gets_the_session_token_and_loses_user_token_keeping_everything_else()
    {
        var frame = """{"topic":"realtime:room1","event":"phx_join","payload":{"config":{"broadcast":{"self":true},"private":false},"access_token":"placeholder","user_token":"attacker","version":"realtime-js/2.112.2 ünïcode"},"ref":"1","join_ref":"1"}""";

        var decision = PhoenixFrames.InspectClientMessage(Utf8(frame), Minted);

        Assert.NotNull(decision.Rewritten);
        Assert.Equal(new PhoenixEnvelope(PhoenixSerializer.V1, "1", "1", "realtime:room1", "phx_join"), decision.Envelope);
        var rewritten = Parse(decision.Rewritten);
        Assert.Equal(Minted, (string?)rewritten["payload"]!["access_token"]);
        Assert.False(rewritten["payload"]!.AsObject().ContainsKey("user_token"));
        Assert.True((bool)rewritten["payload"]!["config"]!["broadcast"]!["self"]!);
        Assert.Equal("realtime:room1", (string?)rewritten["topic"]);
        Assert.Equal("1", (string?)rewritten["join_ref"]);
        // Non-ASCII text is kept as UTF-8, not re-escaped.
        Assert.Contains("ünïcode", Encoding.UTF8.GetString(decision.Rewritten));
    }

    [Fact]
    public void V2_join_array_gets_the_session_token()
    {
        var frame = """["3","3","realtime:room2","phx_join",{"config":{"postgres_changes":[]},"access_token":"sb_publishable_x"}]""";

        var decision = PhoenixFrames.InspectClientMessage(Utf8(frame), Minted);

        var rewritten = Parse(decision.Rewritten).AsArray();
        Assert.Equal(5, rewritten.Count);
        Assert.Equal("3", (string?)rewritten[0]);
        Assert.Equal("realtime:room2", (string?)rewritten[2]);
        Assert.Equal("phx_join", (string?)rewritten[3]);
        Assert.Equal(Minted, (string?)rewritten[4]!["access_token"]);
        Assert.Equal(PhoenixSerializer.V2, decision.Envelope!.Serializer);
    }

    [Theory]
    [InlineData("""{"topic":"realtime:a","event":"access_token","payload":{"access_token":"old"},"ref":"7","join_ref":"1"}""")]
    [InlineData("""["1","7","realtime:a","access_token",{"access_token":"old"}]""")]
    public void Access_token_events_are_rewritten_in_both_serializers(string frame)
    {
        var decision = PhoenixFrames.InspectClientMessage(Utf8(frame), Minted);

        Assert.Equal("access_token", decision.Envelope!.Event);
        Assert.Contains($"\"access_token\":\"{Minted}\"", Encoding.UTF8.GetString(decision.Rewritten!));
        Assert.DoesNotContain("old", Encoding.UTF8.GetString(decision.Rewritten!));
    }

    [Fact]
    public void A_join_without_a_payload_object_gets_one_with_the_token()
    {
        var decision = PhoenixFrames.InspectClientMessage(Utf8("""["1","1","realtime:x","phx_join",null]"""), Minted);

        Assert.Equal(Minted, (string?)Parse(decision.Rewritten)[4]!["access_token"]);
    }

    [Fact]
    public void An_event_name_hidden_behind_a_json_escape_is_still_rewritten()
    {
        var frame = """{"topic":"realtime:a","event":"phx\u005fjoin","payload":{"access_token":"client"},"ref":"1","join_ref":"1"}""";

        var decision = PhoenixFrames.InspectClientMessage(Utf8(frame), Minted);

        Assert.Equal(Minted, (string?)Parse(decision.Rewritten)["payload"]!["access_token"]);
    }

    [Fact]
    public void A_join_with_duplicate_keys_is_dropped_rather_than_forwarded_with_the_clients_token()
    {
        var frame = """{"topic":"realtime:a","event":"phx_join","payload":{"access_token":"x","access_token":"client-chosen"},"ref":"1","join_ref":"1"}""";

        var decision = PhoenixFrames.InspectClientMessage(Utf8(frame), Minted);

        Assert.True(decision.Drop);
        Assert.Null(decision.Rewritten);
    }

    [Fact]
    public void A_join_nested_deeper_than_we_parse_is_dropped()
    {
        var padding = string.Concat(Enumerable.Repeat("[", 100)) + string.Concat(Enumerable.Repeat("]", 100));
        var frame = $$"""{"topic":"realtime:a","event":"phx_join","payload":{"access_token":"client-chosen","x":{{padding}}},"ref":"1","join_ref":"1"}""";

        Assert.True(PhoenixFrames.InspectClientMessage(Utf8(frame), Minted).Drop);
    }

    /// <summary>Issue 20, point 5: joins Realtime's serializers accept although no client library sends them this way.</summary>
    [Theory]
    [InlineData("""{"topic":"realtime:a","event":"phx_join","payload":{"access_token":"client"},"ref":1,"join_ref":1}""")]
    [InlineData("""{"topic":"realtime:a","event":"access_token","payload":{"access_token":"client"},"ref":{"n":2},"join_ref":[1]}""")]
    [InlineData("""[1,1,"realtime:a","phx_join",{"access_token":"client"}]""")]
    [InlineData("""["1","1","realtime:a","phx_join",{"access_token":"client"},"sixth"]""")]
    [InlineData("""["1","1","realtime:a","phx_join",{"access_token":"client"},{"access_token":"client"}]""")]
    public void Joins_with_unusual_refs_or_extra_elements_are_rewritten_too(string frame)
    {
        var decision = PhoenixFrames.InspectClientMessage(Utf8(frame), Minted);

        Assert.NotNull(decision.Rewritten);
        var rewritten = Parse(decision.Rewritten);
        var payload = rewritten is JsonArray array ? array[4] : rewritten["payload"];
        Assert.Equal(Minted, (string?)payload!["access_token"]);
        // What Realtime reads (the first five elements or the named fields) carries no client token.
        var read = rewritten is JsonArray all ? new JsonArray(all.Take(5).Select(n => n?.DeepClone()).ToArray()).ToJsonString() : rewritten.ToJsonString();
        Assert.DoesNotContain("\"client\"", read);
    }

    [Theory]
    [InlineData("""["1","2","realtime:a","broadcast",{"type":"broadcast","event":"msg","payload":{"access_token":"in user data"}}]""")]
    [InlineData("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"5"}""")]
    [InlineData("""{"topic":"realtime:a","event":"presence","payload":{"type":"presence","event":"track","payload":{}},"ref":"6","join_ref":"1"}""")]
    [InlineData("""{"topic":"realtime:a","event":"phx_join", this is not json""")]
    [InlineData("""not json at all "phx_join" \u""")]
    [InlineData("""["1","1","realtime:a","phx_join"]""")]
    [InlineData("""{"topic":7,"event":"phx_join","payload":{},"ref":"1"}""")]
    public void Everything_else_passes_through_untouched(string frame)
    {
        var decision = PhoenixFrames.InspectClientMessage(Utf8(frame), Minted);

        Assert.Null(decision.Rewritten);
        Assert.False(decision.Drop);
        Assert.NotEqual("phx_join", decision.Envelope?.Event);
    }

    [Fact]
    public void Leave_is_reported_for_topic_tracking_without_rewriting()
    {
        var decision = PhoenixFrames.InspectClientMessage(Utf8("""["1","9","realtime:a","phx_leave",{}]"""), Minted);

        Assert.Null(decision.Rewritten);
        Assert.Equal(new PhoenixEnvelope(PhoenixSerializer.V2, "1", "9", "realtime:a", "phx_leave"), decision.Envelope);
    }

    [Fact]
    public void Server_close_and_join_errors_are_recognised_and_replies_to_gateway_pushes_dropped()
    {
        var close = PhoenixFrames.InspectServerMessage(Utf8("""{"topic":"realtime:a","event":"phx_close","payload":{},"ref":"1"}"""));
        Assert.Equal("phx_close", close.Envelope!.Event);
        Assert.False(close.Drop);

        var refused = PhoenixFrames.InspectServerMessage(Utf8("""["1","1","realtime:a","phx_reply",{"status":"error","response":{"reason":"InvalidJWTToken: Token has expired 3 seconds ago"}}]"""));
        Assert.True(refused.JoinRefused);

        var ours = PhoenixFrames.InspectServerMessage(Utf8("""["1","gw-4","realtime:a","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]"""));
        Assert.True(ours.Drop);

        var ok = PhoenixFrames.InspectServerMessage(Utf8("""["1","1","realtime:a","phx_reply",{"status":"ok","response":{"postgres_changes":[]}}]"""));
        Assert.Equal(ServerFrameDecision.PassThrough, ok);
    }

    [Fact]
    public void Rotation_pushes_use_the_sockets_serializer_with_gateway_refs()
    {
        var v1 = Parse(PhoenixFrames.AccessTokenMessage(PhoenixSerializer.V1, "realtime:a", "4", "gw-1", "fresh"));
        Assert.Equal("realtime:a", (string?)v1["topic"]);
        Assert.Equal("access_token", (string?)v1["event"]);
        Assert.Equal("fresh", (string?)v1["payload"]!["access_token"]);
        Assert.Equal("gw-1", (string?)v1["ref"]);
        Assert.Equal("4", (string?)v1["join_ref"]);

        var v2 = Parse(PhoenixFrames.AccessTokenMessage(PhoenixSerializer.V2, "realtime:a", "4", "gw-2", "fresh")).AsArray();
        Assert.Equal(["4", "gw-2", "realtime:a", "access_token"], v2.Take(4).Select(n => (string?)n));
        Assert.Equal("fresh", (string?)v2[4]!["access_token"]);
    }

    [Theory]
    [InlineData(null, PhoenixSerializer.V1)]
    [InlineData("1.0.0", PhoenixSerializer.V1)]
    [InlineData("2.0.0", PhoenixSerializer.V2)]
    public void The_vsn_parameter_selects_the_serializer(string? vsn, PhoenixSerializer expected) =>
        Assert.Equal(expected, PhoenixFrames.FromVsn(vsn));

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static JsonNode Parse(byte[]? utf8) => JsonNode.Parse(utf8 ?? throw new Xunit.Sdk.XunitException("expected a rewritten frame"))!;
}
