using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using EndToEnd.Tests.Browser;
using EndToEnd.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Storage;

/// <summary>SampleWeb's "My files" page (issue 18): Supabase Storage through server-rendered forms, without JavaScript.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AttachmentsBrowserTests(SharedGatewayStack stack, SampleWebBrowser browser, ITestOutputHelper output) : IClassFixture<SampleWebBrowser>
{
    [Fact]
    public async Task Files_upload_without_JavaScript_download_through_short_lived_signed_links_and_only_the_owner_sees_or_deletes_them()
    {
        var other = await SignedUpPageAsync("files-other");
        await UploadAsync(other, "other-secret.txt", "not yours");

        var page = await SignedUpPageAsync("files-owner");
        await page.GotoAsync("/attachments");
        await page.GetByTestId("no-files").WaitForAsync();
        await UploadAsync(page, "report 2026.txt", "quarterly figures");
        Assert.EndsWith("/attachments", page.Url);
        var html = await (await page.GotoAsync("/attachments"))!.TextAsync();
        Assert.Contains("report_2026.txt", html);
        Assert.DoesNotContain("other-secret", html);

        // The link is a signed URL under the gateway's /supabase prefix, valid for two minutes, usable without a cookie.
        var href = await page.GetByTestId("download").First.GetAttributeAsync("href");
        Assert.StartsWith("/supabase/storage/v1/object/sign/attachments/", href);
        var token = href!.Split("token=")[1];
        using (var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(token.Split('.')[1])))
        {
            Assert.Equal(120, claims.RootElement.GetProperty("exp").GetInt64() - claims.RootElement.GetProperty("iat").GetInt64());
        }
        using (var http = new HttpClient { BaseAddress = stack.ProxyUrl })
        {
            using var download = await http.GetAsync(href);
            Assert.True(download.IsSuccessStatusCode, $"{download.StatusCode}: {await download.Content.ReadAsStringAsync()}");
            Assert.Equal("quarterly figures", await download.Content.ReadAsStringAsync());
        }
        output.WriteLine(await Chromium.ScreenshotAsync(page, "attachments"));

        // Another user posting the owner's file name to the delete form removes nothing (RLS: not theirs).
        var name = await page.Locator("[data-testid=file] input[name=name]").First.GetAttributeAsync("value");
        await other.GotoAsync("/attachments");
        await other.EvaluateAsync("n => { document.querySelector('[data-testid=file] input[name=name]').value = n; }", name);
        await other.GetByTestId("delete").First.ClickAsync();
        await other.GetByTestId("form-error").WaitForAsync();
        Assert.Contains("report_2026.txt", await (await page.GotoAsync("/attachments"))!.TextAsync());

        await page.GetByTestId("delete").First.ClickAsync();
        await page.GetByTestId("no-files").WaitForAsync();
        Assert.EndsWith("/attachments", page.Url);
    }

    private async Task<IPage> SignedUpPageAsync(string label)
    {
        var page = await browser.NewPageAsync(stack.ProxyUrl.ToString(), javaScript: label != "files-owner");
        await SampleWebBrowser.SignUpAsync(page, $"{label}-{Guid.NewGuid():N}@example.com", name: "Files User");
        return page;
    }

    private static async Task UploadAsync(IPage page, string fileName, string text)
    {
        await page.GotoAsync("/attachments");
        await page.GetByTestId("file-input").SetInputFilesAsync(new FilePayload { Name = fileName, MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes(text) });
        await page.GetByTestId("upload").ClickAsync();
        await page.GetByTestId("file").Or(page.GetByTestId("form-error")).First.WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("form-error").CountAsync());
    }
}
