using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EndToEnd.Tests.Infrastructure;
using TestSupport;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Proxy;

/// <summary>The official supabase-js client, unchanged, against the Proxy (issue 3).</summary>
[Collection(GatewayCollection.Name)]
public sealed class SupabaseJsThroughProxyTests(SharedGatewayStack stack, ITestOutputHelper output)
{
    [Fact]
    public async Task SupabaseJsWorksUnchangedAndHoldsNoUsableCredential()
    {
        var email = $"ann-{Guid.NewGuid():N}@example.com";
        var result = await stack.RunNodeAsync("proxy-supabase-js.mjs", new { email, password = "correct-horse", otherEmail = $"bob-{Guid.NewGuid():N}@example.com" });
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        var steps = result.Output.GetProperty("steps");

        Assert.True(steps.GetProperty("signUp").GetProperty("hasSession").GetBoolean(), "signUp gave no session");
        Assert.True(steps.GetProperty("signIn").GetProperty("hasSession").GetBoolean(), "signInWithPassword gave no session");
        Assert.Equal(email, steps.GetProperty("getSession").GetProperty("email").GetString());
        Assert.Equal(email, steps.GetProperty("getUser").GetProperty("email").GetString());
        Assert.Equal(JsonValueKind.Null, steps.GetProperty("insertPost").GetProperty("error").ValueKind);
        Assert.Equal(["alice private note"], steps.GetProperty("selectNotes").GetProperty("bodies").EnumerateArray().Select(b => b.GetString()));
        Assert.True(steps.GetProperty("refresh").GetProperty("hasSession").GetBoolean(), "refreshSession failed");

        var others = steps.GetProperty("signOutOthers");
        Assert.False(others.GetProperty("otherStillValid").GetBoolean(), "scope=others left the other session alive");
        Assert.True(others.GetProperty("selfStillValid").GetBoolean(), "scope=others ended the current session");
        var local = steps.GetProperty("signOutLocal");
        Assert.Equal(401, local.GetProperty("selfStatus").GetInt32());
        Assert.True(local.GetProperty("otherStillValid").GetBoolean(), "scope=local ended another session");
        var global = steps.GetProperty("signOutGlobal");
        Assert.Equal(401, global.GetProperty("selfStatus").GetInt32());
        Assert.True(global.GetProperty("otherUserUnaffected").GetBoolean());

        // Every value supabase-js stored, tried as a credential directly against Supabase: none is accepted.
        var stored = result.Output.GetProperty("stored");
        var candidates = new List<string>();
        foreach (var item in stored.EnumerateObject())
        {
            candidates.Add(item.Value.GetString()!);
            try
            {
                using var doc = JsonDocument.Parse(item.Value.GetString()!);
                foreach (var field in new[] { "access_token", "refresh_token", "provider_token" })
                {
                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String)
                    {
                        candidates.Add(value.GetString()!);
                    }
                }
            }
            catch (JsonException)
            {
            }
        }
        Assert.NotEmpty(candidates);
        using var http = new HttpClient { BaseAddress = stack.EmulatorUrl };
        foreach (var candidate in candidates)
        {
            using var user = new HttpRequestMessage(HttpMethod.Get, "/auth/v1/user");
            user.Headers.Add("apikey", LocalSupabaseKeys.AnonKey);
            user.Headers.TryAddWithoutValidation("Authorization", "Bearer " + candidate);
            Assert.NotEqual(HttpStatusCode.OK, (await http.SendAsync(user)).StatusCode);

            using var rest = new HttpRequestMessage(HttpMethod.Get, "/rest/v1/notes?select=*");
            rest.Headers.Add("apikey", LocalSupabaseKeys.AnonKey);
            rest.Headers.TryAddWithoutValidation("Authorization", "Bearer " + candidate);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(rest)).StatusCode);

            using var refresh = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { refresh_token = candidate }), MediaTypeHeaderValue.Parse("application/json")),
            };
            refresh.Headers.Add("apikey", LocalSupabaseKeys.AnonKey);
            Assert.NotEqual(HttpStatusCode.OK, (await http.SendAsync(refresh)).StatusCode);
        }
        output.WriteLine($"{candidates.Count} stored values tried against GoTrue and PostgREST: none accepted");
    }
}
