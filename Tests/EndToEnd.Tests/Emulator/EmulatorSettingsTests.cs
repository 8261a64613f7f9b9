using System.Net;
using TestSupport;

namespace EndToEnd.Tests.Emulator;

/// <summary>
/// Settings that change behaviour, each in a second emulator on its own database of the same PostgreSQL cluster
/// (which also shows several emulators can share one cluster's roles).
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class EmulatorSettingsTests(EmulatorFixture emulator)
{
    [Fact]
    public async Task Without_autoconfirm_sign_up_mails_a_confirmation_and_hides_existing_accounts()
    {
        var database = await emulator.Postgres.CreateDatabaseAsync("emulator_confirm_" + Guid.NewGuid().ToString("N")[..8]);
        await using var process = await ServiceProcess.StartAsync("emulator-confirm", "SupabaseEmulator", new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgres"] = database,
            ["Emulator:Autoconfirm"] = "false",
        }, readyPath: "/auth/v1/health");
        using var client = new EmulatorClient(process.Url);
        var email = EmulatorClient.NewEmail("confirm");

        using var signUp = await client.SendAsync(HttpMethod.Post, "/auth/v1/signup", new { email, password = EmulatorClient.Password });
        var user = await EmulatorClient.ReadObjectAsync(signUp, expectSuccess: true);
        Assert.False(user.ContainsKey("access_token"));
        Assert.Equal(email, (string?)user["email"]);
        Assert.NotNull(user["confirmation_sent_at"]);
        Assert.Null(user["email_confirmed_at"]);

        using (var early = await client.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", new { email, password = EmulatorClient.Password }))
        {
            Assert.Equal("email_not_confirmed", (string?)(await EmulatorClient.ReadObjectAsync(early))["error_code"]);
        }
        var mail = Assert.Single(await client.OutboxAsync(email))!;
        Assert.Equal("signup", (string?)mail["type"]);
        using (var verify = await client.SendAsync(HttpMethod.Post, "/auth/v1/verify", new { type = "signup", token_hash = (string)mail["tokenHash"]! }))
        {
            var session = new EmulatorSession(await EmulatorClient.ReadObjectAsync(verify, expectSuccess: true));
            Assert.Equal("email/signup", (string?)session.Claims["amr"]![0]!["method"]);
        }

        // A second sign-up for the confirmed address gets a plausible fake user: new id, no identities.
        using var again = await client.SendAsync(HttpMethod.Post, "/auth/v1/signup", new { email, password = "whatever-password" });
        var fake = await EmulatorClient.ReadObjectAsync(again, expectSuccess: true);
        Assert.NotEqual((string?)user["id"], (string?)fake["id"]);
        Assert.Empty(fake["identities"]!.AsArray());
        await client.SignInAsync(email); // the real account is untouched
    }

    [Fact]
    public async Task An_invalid_setting_stops_the_stand_in_with_a_message_naming_it()
    {
        var database = await emulator.Postgres.CreateDatabaseAsync("emulator_invalid_" + Guid.NewGuid().ToString("N")[..8]);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => ServiceProcess.StartAsync("emulator-invalid", "SupabaseEmulator",
            new Dictionary<string, string?>
            {
                ["ConnectionStrings:postgres"] = database,
                ["Emulator:JwtSecret"] = "too-short",
            }, readyPath: "/auth/v1/health"));
        Assert.Contains("Emulator:JwtSecret", failure.Message);
    }
}
