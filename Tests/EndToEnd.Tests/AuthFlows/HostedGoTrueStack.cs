using EndToEnd.Tests.Browser;
using Microsoft.Playwright;
using TestSupport;

namespace EndToEnd.Tests.AuthFlows;

/// <summary>
/// A gateway whose GoTrue is configured like a hosted project (its external URL is its own, so
/// GoTrue's OAuth callback and email links redirect the browser without passing the gateway; sign-ups are confirmed
/// by email), plus Debian's Chromium for the app page that runs supabase-js.
/// </summary>
public sealed class HostedGoTrueStack : IAsyncLifetime
{
    public TestStack Stack { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    private FakeHost? _pages;

    public async Task InitializeAsync()
    {
        _pages = await SupabaseJsAppTab.StartPageServerAsync();
        Stack = await new TestStackBuilder().WithEmailConfirmations().WithRateLimits().WithPages(_pages.Url).StartAsync();
        (Playwright, Browser) = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        Playwright?.Dispose();
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }
        if (_pages is not null)
        {
            await _pages.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class HostedGoTrueCollection : ICollectionFixture<HostedGoTrueStack>
{
    public const string Name = "hosted-gotrue";
}
