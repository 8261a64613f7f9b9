using System.Net;
using System.Text.Json;
using EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Storage;

/// <summary>supabase-js storage calls, unchanged, through the Proxy to the emulator's Storage API (issue 18).</summary>
[Collection(GatewayCollection.Name)]
public sealed class StorageThroughProxyTests(SharedGatewayStack stack, ITestOutputHelper output)
{
    [Fact]
    public async Task Supabase_js_storage_calls_work_through_the_gateway_and_RLS_refuses_other_users()
    {
        var result = await stack.RunNodeAsync("storage-supabase-js.mjs");
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        var steps = result.Output.GetProperty("steps");
        var alice = result.Output.GetProperty("users").GetProperty("alice").GetString();

        Assert.Equal(JsonValueKind.Null, Step(steps, "upload", "error").ValueKind);
        Assert.Equal($"attachments/{alice}/notes/hello.txt", Step(steps, "upload", "fullPath").GetString());
        Assert.True(Step(steps, "upload", "hasId").GetBoolean());
        Assert.Equal("409", ErrorCode(steps, "uploadDuplicate"));
        Assert.Equal(JsonValueKind.Null, Step(steps, "uploadUpsert", "error").ValueKind);
        Assert.Equal(JsonValueKind.Null, Step(steps, "update", "error").ValueKind);
        Assert.Equal("hello, updated", Step(steps, "download", "text").GetString());
        Assert.StartsWith("text/plain", Step(steps, "download", "type").GetString());
        Assert.Equal([1, 2, 3, 4, 5], Step(steps, "downloadBlob", "bytes").EnumerateArray().Select(b => b.GetInt32()));

        var root = Step(steps, "listRoot", "entries").EnumerateArray().ToList();
        Assert.Contains(root, e => e.GetProperty("name").GetString() == "notes" && e.GetProperty("folder").GetBoolean());
        Assert.Contains(root, e => e.GetProperty("name").GetString() == "blob.bin" && e.GetProperty("size").GetInt32() == 5);
        Assert.Equal(["hello.txt"], Step(steps, "listFolder", "names").EnumerateArray().Select(n => n.GetString()));

        Assert.Equal("Successfully moved", Step(steps, "move", "message").GetString());
        Assert.Equal("404", ErrorCode(steps, "downloadAfterMove"));
        Assert.Equal($"attachments/{alice}/copy.txt", Step(steps, "copy", "path").GetString());
        Assert.Equal("hello, updated", Step(steps, "downloadCopy", "text").GetString());

        // Signed URL: through the gateway's origin, usable without a cookie, Range → 206, If-None-Match → 304,
        // and the token is bound to its path.
        Assert.True(Step(steps, "createSignedUrl", "proxied").GetBoolean());
        var signed = steps.GetProperty("signedUrlFetch");
        Assert.Equal(200, signed.GetProperty("status").GetInt32());
        Assert.Equal("hello, updated", signed.GetProperty("text").GetString());
        Assert.Equal("max-age=3600", signed.GetProperty("cacheControl").GetString());
        Assert.Equal(206, signed.GetProperty("rangeStatus").GetInt32());
        Assert.Equal("hello", signed.GetProperty("rangeText").GetString());
        Assert.Equal("bytes 0-4/14", signed.GetProperty("contentRange").GetString());
        Assert.Equal(304, signed.GetProperty("conditionalStatus").GetInt32());
        Assert.Equal(400, signed.GetProperty("tamperedStatus").GetInt32());
        Assert.Contains("InvalidSignature", signed.GetProperty("tamperedBody").GetString());
        var many = Step(steps, "createSignedUrls", "items").EnumerateArray().ToList();
        Assert.Equal([true, true, false], many.Select(i => i.GetProperty("ok").GetBoolean()));

        Assert.True(Step(steps, "createSignedUploadUrl", "hasToken").GetBoolean());
        Assert.Equal(JsonValueKind.Null, Step(steps, "uploadToSignedUrl", "error").ValueKind);
        Assert.Equal($"attachments/{alice}/via-signed-url.txt", Step(steps, "uploadToSignedUrl", "fullPath").GetString());
        Assert.Equal("sent with a signed upload URL", Step(steps, "downloadSignedUpload", "text").GetString());
        Assert.Equal("409", ErrorCode(steps, "uploadToSignedUrlReplay"));

        Assert.True(Step(steps, "getPublicUrl", "proxied").GetBoolean());
        Assert.Equal(200, Step(steps, "getPublicUrl", "status").GetInt32());
        Assert.Equal("public text", Step(steps, "getPublicUrl", "text").GetString());
        Assert.Equal("415", ErrorCode(steps, "uploadDisallowedType"));
        Assert.Equal(400, Step(steps, "privateBucketPublicUrl", "status").GetInt32());

        // Bob, signed in through the same gateway, gets nothing of Alice's: RLS with his minted JWT's sub decides.
        Assert.Equal("404", ErrorCode(steps, "bobDownload"));
        Assert.Equal("403", ErrorCode(steps, "bobUploadIntoAlice"));
        Assert.Contains("row-level security", Step(steps, "bobUploadIntoAlice", "error").GetProperty("message").GetString());
        Assert.Equal("403", ErrorCode(steps, "bobUpsertAlice"));
        Assert.Equal(0, Step(steps, "bobRemove", "removed").GetInt32());
        Assert.Equal("404", ErrorCode(steps, "bobMove"));
        Assert.Equal("404", ErrorCode(steps, "bobCopy"));
        Assert.Equal("404", ErrorCode(steps, "bobSignedUrl"));
        Assert.Equal(0, Step(steps, "bobList", "count").GetInt32());
        Assert.Equal(JsonValueKind.Null, Step(steps, "bobOwnUpload", "error").ValueKind);
        Assert.Equal("hello, updated", Step(steps, "aliceStillHas", "text").GetString());

        Assert.Equal("413", ErrorCode(steps, "uploadOverBucketLimit"));
        Assert.Equal(JsonValueKind.Null, Step(steps, "listBuckets", "error").ValueKind);
        Assert.Equal(["blob.bin", "copy.txt", "moved.txt"], Step(steps, "remove", "removed").EnumerateArray().Select(n => n.GetString()!.Split('/')[^1]).Order(StringComparer.Ordinal));
        Assert.Equal("404", ErrorCode(steps, "downloadAfterRemove"));
    }

    [Fact]
    public async Task Uploads_over_the_gateway_limit_get_a_413_before_anything_is_forwarded()
    {
        using var http = new HttpClient { BaseAddress = stack.ProxyUrl };
        using var create = new HttpRequestMessage(HttpMethod.Post, "/supabase/storage/v1/upload/resumable");
        create.Headers.Add("Tus-Resumable", "1.0.0");
        create.Headers.Add("Upload-Length", (1L << 40).ToString(System.Globalization.CultureInfo.InvariantCulture));
        create.Headers.Add("Upload-Metadata", "bucketName YXR0YWNobWVudHM=,objectName eC5iaW4=");
        using var tooLong = await http.SendAsync(create);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLong.StatusCode);
        using var body = JsonDocument.Parse(await tooLong.Content.ReadAsStringAsync());
        Assert.Equal("request_entity_too_large", body.RootElement.GetProperty("code").GetString());

        // A declared Content-Length above the limit is answered before the body is sent (Expect: 100-continue).
        using var upload = new HttpRequestMessage(HttpMethod.Post, "/supabase/storage/v1/object/attachments/x/huge.bin")
        {
            Content = new DeclaredLengthContent(51L * 1024 * 1024),
        };
        upload.Headers.ExpectContinue = true;
        using var tooBig = await http.SendAsync(upload);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        Assert.Contains("request_entity_too_large", await tooBig.Content.ReadAsStringAsync());
    }

    private static JsonElement Step(JsonElement steps, string step, string property) => steps.GetProperty(step).GetProperty(property);

    private static string? ErrorCode(JsonElement steps, string step) =>
        steps.GetProperty(step).GetProperty("error") is { ValueKind: JsonValueKind.Object } error ? error.GetProperty("statusCode").GetString() : "no error";

    /// <summary>Declares a length and would send zeros; the gateway must answer before it asks for them.</summary>
    private sealed class DeclaredLengthContent(long length) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var zeros = new byte[64 * 1024];
            for (long sent = 0; sent < length; sent += zeros.Length)
            {
                await stream.WriteAsync(zeros.AsMemory(0, (int)Math.Min(zeros.Length, length - sent)));
            }
        }

        protected override bool TryComputeLength(out long size)
        {
            size = length;
            return true;
        }
    }
}
