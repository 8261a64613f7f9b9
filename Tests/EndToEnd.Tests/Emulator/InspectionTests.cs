using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TestSupport;

namespace EndToEnd.Tests.Emulator;

/// <summary>The /__emulator hooks other tests rely on to see what a gateway in front sent and must strip.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class InspectionTests(EmulatorFixture emulator)
{
    [Fact]
    public async Task Requests_are_logged_as_received_and_responses_carry_headers_a_gateway_must_drop()
    {
        var client = emulator.Client;
        var marker = Guid.NewGuid().ToString("N");
        using var response = await client.SendAsync(HttpMethod.Get, $"/rest/v1/posts?marker=eq.{marker}", bearer: LocalSupabaseKeys.AnonKey,
            headers: new Dictionary<string, string> { ["Cookie"] = "sb-session=abc", ["Sb-Forwarded-For"] = "198.51.100.7" });

        Assert.Contains("emulator=1; Path=/", response.Headers.GetValues("Set-Cookie"));
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());

        var log = await client.Http.GetFromJsonAsync<JsonArray>("/__emulator/requests?path=/rest/v1/posts");
        var entry = log!.Last(e => ((string)e!["query"]!).Contains(marker, StringComparison.Ordinal))!;
        var headers = entry["headers"]!;
        Assert.Equal(LocalSupabaseKeys.AnonKey, (string?)headers["apikey"]);
        Assert.Equal("Bearer " + LocalSupabaseKeys.AnonKey, (string?)headers["authorization"]);
        Assert.Equal("sb-session=abc", (string?)headers["cookie"]);
        Assert.Equal("198.51.100.7", (string?)headers["sb-forwarded-for"]);
        Assert.Equal("anon", (string?)entry["bearerClaims"]!["role"]);
    }
}
