using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Contracts;
using Microsoft.IdentityModel.JsonWebTokens;
using SessionApi.Tests.Support;
using TestSupport;

namespace SessionApi.Tests.Sessions;

/// <summary>
/// What the user webhook asks of the SessionApi: one-time ids shared by every instance, and a user change applied
/// to every live session of that user (merged user object, or all sessions ended).
/// </summary>
public sealed class UserChangeTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private SessionTestHost _a = null!;
    private SessionTestHost _b = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _a = new SessionTestHost(_redis, new ManualTime());
        _b = new SessionTestHost(_redis, new ManualTime());
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task ANonceIsAcceptedOnceAcrossInstancesUntilItExpires()
    {
        var id = "msg_" + Guid.NewGuid();
        using var first = await _a.Caller().PostAsJsonAsync("/internal/v1/nonces", new NonceRequest("user-webhook", id, 1));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using var again = await _b.Caller().PostAsJsonAsync("/internal/v1/nonces", new NonceRequest("user-webhook", id, 1));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var otherScope = await _b.Caller().PostAsJsonAsync("/internal/v1/nonces", new NonceRequest("other", id, 1));
        Assert.Equal(HttpStatusCode.Created, otherScope.StatusCode);

        await Task.Delay(TimeSpan.FromMilliseconds(1500)); // Redis expires the key (real time)
        using var afterExpiry = await _a.Caller().PostAsJsonAsync("/internal/v1/nonces", new NonceRequest("user-webhook", id, 1));
        Assert.Equal(HttpStatusCode.Created, afterExpiry.StatusCode);
    }

    [Fact]
    public async Task AReleasedNonceCanBeRecordedAgainOnAnyInstance()
    {
        var id = "msg_" + Guid.NewGuid();
        using var first = await _a.Caller().PostAsJsonAsync("/internal/v1/nonces", new NonceRequest("user-webhook", id, 60));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        using var released = await _b.Caller().DeleteAsync($"/internal/v1/nonces/user-webhook/{id}");
        Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
        using var releasedAgain = await _b.Caller().DeleteAsync($"/internal/v1/nonces/user-webhook/{id}");
        Assert.Equal(HttpStatusCode.NotFound, releasedAgain.StatusCode);

        using var retried = await _a.Caller().PostAsJsonAsync("/internal/v1/nonces", new NonceRequest("user-webhook", id, 60));
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
    }

    [Fact]
    public async Task AnOlderChangeArrivingAfterANewerOneChangesNothing()
    {
        var http = _a.Caller();
        var userId = Guid.NewGuid().ToString();
        var session = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "first@example.com"));

        async Task ApplyAsync(string email, string updatedAt)
        {
            var patch = new JsonObject { ["id"] = userId, ["email"] = email, ["updated_at"] = updatedAt };
            using var response = await http.PostAsJsonAsync($"/internal/v1/users/{userId}/changed",
                new UserChangedRequest("updated", JsonSerializer.SerializeToElement(patch)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var later = DateTimeOffset.UtcNow.AddMinutes(1);
        await ApplyAsync("newest@example.com", later.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        await ApplyAsync("stale@example.com", later.AddSeconds(-5).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));

        var resolved = await _b.Caller().ResolveLiveAsync(session.Cookie);
        Assert.Equal("newest@example.com", resolved.Session.User.GetProperty("email").GetString());
    }

    [Theory]
    [InlineData("", "id", 10)]
    [InlineData("user-webhook", "", 10)]
    [InlineData("user-webhook", "id", 0)]
    [InlineData("user-webhook", "id", 100000)]
    public async Task MalformedNoncesAreRefused(string scope, string id, int ttl)
    {
        using var response = await _a.Caller().PostAsJsonAsync("/internal/v1/nonces", new NonceRequest(scope, id, ttl));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task AnUpdateReplacesTheUserMembersItCarriesInEveryLiveSessionAndTheNextTokenShowsThem()
    {
        var http = _a.Caller();
        var userId = Guid.NewGuid().ToString();
        var first = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "before@example.com"));
        var second = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "before@example.com"));
        var bystander = await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "other@example.com"));
        using var events = await EventStreamReader.OpenAsync(_b.Caller());

        var patch = new JsonObject
        {
            ["id"] = userId, ["email"] = "after@example.com", ["user_metadata"] = new JsonObject { ["display_name"] = "Renamed" },
            ["is_anonymous"] = null, // an unset member goes away, as GoTrue omits it
        };
        using var response = await http.PostAsJsonAsync($"/internal/v1/users/{userId}/changed",
            new UserChangedRequest("updated", JsonSerializer.SerializeToElement(patch)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var applied = await response.Content.ReadFromJsonAsync<UserChangedResponse>();
        Assert.Equal(new[] { first.Session.Id, second.Session.Id }.Order(), applied!.Sessions.Order());

        var updated = await events.NextAsync();
        Assert.Equal("updated", updated?.Kind);
        Assert.Equal(new[] { first.Session.Id, second.Session.Id }.Order(), updated!.SessionIds.Order());

        foreach (var cookie in new[] { first.Cookie, second.Cookie })
        {
            var resolved = await _b.Caller().ResolveLiveAsync(cookie);
            var user = resolved.Session.User;
            Assert.Equal("after@example.com", user.GetProperty("email").GetString());
            Assert.Equal("Renamed", user.GetProperty("user_metadata").GetProperty("display_name").GetString());
            Assert.Equal(JsonValueKind.Array, user.GetProperty("identities").ValueKind); // kept: the row has no identities
            Assert.False(user.TryGetProperty("is_anonymous", out _));
            var token = new JsonWebToken(resolved.Token.AccessToken);
            Assert.Equal("after@example.com", token.GetPayloadValue<string>("email"));
            Assert.Contains("Renamed", token.GetPayloadValue<JsonElement>("user_metadata").GetRawText(), StringComparison.Ordinal);
        }
        var untouched = await http.ResolveLiveAsync(bystander.Cookie);
        Assert.Equal("other@example.com", untouched.Session.User.GetProperty("email").GetString());
    }

    [Theory]
    [InlineData("banned")]
    [InlineData("deleted")]
    public async Task ABanOrDeletionEndsEverySessionOfTheUser(string change)
    {
        var http = _a.Caller();
        var userId = Guid.NewGuid().ToString();
        var first = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "gone@example.com"));
        var second = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "gone@example.com"));
        var bystander = await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "other@example.com"));
        using var events = await EventStreamReader.OpenAsync(_b.Caller());

        using var response = await http.PostAsJsonAsync($"/internal/v1/users/{userId}/changed", new UserChangedRequest(change, null));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var revoked = await events.NextAsync();
        Assert.Equal("revoked", revoked?.Kind);
        Assert.Equal(new[] { first.Session.Id, second.Session.Id }.Order(), revoked!.SessionIds.Order());
        Assert.Equal(HttpStatusCode.NotFound, (await http.ResolveAsync(first.Cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _b.Caller().ResolveAsync(second.Cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.ResolveAsync(bystander.Cookie)).StatusCode);
    }

    [Theory]
    [InlineData("renamed", true)]
    [InlineData("updated", false)]
    public async Task MalformedChangesAreRefused(string change, bool withUser)
    {
        var userId = Guid.NewGuid().ToString();
        var user = withUser ? JsonSerializer.SerializeToElement(new JsonObject { ["id"] = userId }) : (JsonElement?)null;
        using var response = await _a.Caller().PostAsJsonAsync($"/internal/v1/users/{userId}/changed", new UserChangedRequest(change, user));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var mismatched = JsonSerializer.SerializeToElement(new JsonObject { ["id"] = Guid.NewGuid().ToString() });
        using var wrongUser = await _a.Caller().PostAsJsonAsync($"/internal/v1/users/{userId}/changed", new UserChangedRequest("updated", mismatched));
        Assert.Equal(HttpStatusCode.BadRequest, wrongUser.StatusCode);
    }
}
