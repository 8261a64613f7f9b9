using System.Text.Json;
using EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Storage;

/// <summary>TUS resumable uploads with the real tus-js-client through the Proxy (issue 18).</summary>
[Collection(GatewayCollection.Name)]
public sealed class ResumableUploadTests(SharedGatewayStack stack, ITestOutputHelper output)
{
    [Fact]
    public async Task An_upload_broken_off_mid_way_resumes_from_the_servers_offset_and_arrives_intact()
    {
        var result = await stack.RunNodeAsync("storage-tus.mjs", new { mode = "resume", size = 8 * 1024 * 1024 });
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        var run = result.Output;

        // The upload URL tus-js-client was given is the gateway's, never the emulator's.
        Assert.StartsWith(stack.PublicOrigin + "/supabase/storage/v1/upload/resumable/", run.GetProperty("url").GetString());
        Assert.StartsWith(stack.PublicOrigin + "/supabase/storage/v1/upload/resumable/", run.GetProperty("location").GetString());
        var serverOffset = run.GetProperty("serverOffset").GetInt64();
        Assert.InRange(serverOffset, 1, run.GetProperty("brokenAt").GetInt64());
        var patches = run.GetProperty("patchOffsets").EnumerateArray().Select(o => o.GetInt64()).ToList();
        Assert.Equal(serverOffset, patches[0]); // tus-js-client sent only what the server was missing
        Assert.Contains(run.GetProperty("log").EnumerateArray(), e => e.GetProperty("method").GetString() == "HEAD");
        Assert.Equal(run.GetProperty("sha256").GetString(), run.GetProperty("downloaded").GetProperty("sha256").GetString());
        Assert.True(run.GetProperty("objectExists").GetBoolean()); // the same check the revocation test relies on
    }

    [Fact]
    public async Task A_session_revoked_mid_upload_gets_its_next_chunk_refused_and_no_object_is_written()
    {
        var result = await stack.RunNodeAsync("storage-tus.mjs", new { mode = "revoke", size = 8 * 1024 * 1024, chunkMiB = 0.5 });
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        var run = result.Output;
        Assert.Equal(200, run.GetProperty("revokeStatus").GetInt32());
        var outcome = run.GetProperty("outcome");
        Assert.False(outcome.GetProperty("completed").GetBoolean(), "the upload completed after its session was revoked");
        Assert.Equal(401, outcome.GetProperty("status").GetInt32());
        Assert.Contains("session_expired", outcome.GetProperty("body").GetString());
        // The chunks before the revocation went through; the first one after it was refused by the gateway.
        var accepted = run.GetProperty("acceptedPatches").GetInt32();
        Assert.Equal(run.GetProperty("revokedAt").GetInt64() / (512 * 1024), accepted);
        Assert.InRange(accepted, 1, 15);
        Assert.False(run.GetProperty("objectExists").GetBoolean());
    }
}
