using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using EndToEnd.Tests.Infrastructure;
using Npgsql;
using TestSupport;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Storage;

/// <summary>
/// Deliverable 2 of issue 18: the Proxy's resident memory (VmRSS from /proc) before, during (peak) and after a
/// 200 MB TUS upload (one PATCH, real tus-js-client) and a 200 MB signed-URL download through it. It prints the
/// figures and asserts only a generous bound that buffering a body would break (growth under 100 MB), no timings.
/// </summary>
public sealed class StreamingMemoryBenchmark(ITestOutputHelper output)
{
    private const long Size = 200L * 1024 * 1024;
    private const long AllowedGrowthBytes = 100L * 1024 * 1024;

    [Fact]
    public async Task Proxy_memory_stays_flat_for_a_200_MB_upload_and_download()
    {
        var limit = (Size + (64L << 20)).ToString(CultureInfo.InvariantCulture);
        var stack = await new TestStackBuilder()
            .Configure(StackService.Proxy, new Dictionary<string, string?> { ["Gateway:Limits:MaxRequestBodyBytes"] = limit })
            .Configure(StackService.Emulator, new Dictionary<string, string?> { ["Emulator:Storage:FileSizeLimitBytes"] = limit })
            .StartAsync();
        try
        {
            await MeasureAsync(stack);
        }
        finally
        {
            await stack.DisposeAsync();
        }
    }

    private async Task MeasureAsync(TestStack stack)
    {
        await using (var database = NpgsqlDataSource.Create(stack.DatabaseConnectionString))
        await using (var unlimited = database.CreateCommand("update storage.buckets set file_size_limit = null where id = 'attachments'"))
        {
            await unlimited.ExecuteNonQueryAsync();
        }
        var pid = stack.Proxy.ProcessId ?? throw new InvalidOperationException("Proxy is not running");

        // Warm-up: first requests load code paths and pools, which is not what is measured.
        var warm = await stack.RunNodeAsync("storage-tus.mjs", new { mode = "bulk", size = 4 * 1024 * 1024 });
        Assert.True(warm.ExitCode == 0, warm.ToString());

        var uploadBefore = Rss(pid);
        NodeResult upload;
        long uploadPeak;
        using (var sampler = new RssSampler(pid))
        {
            upload = await stack.RunNodeAsync("storage-tus.mjs", new { mode = "bulk", size = Size }, TimeSpan.FromMinutes(8));
            uploadPeak = sampler.Stop();
        }
        Assert.True(upload.ExitCode == 0, upload.ToString());
        var uploadAfter = Rss(pid);

        var signedUrl = upload.Output.GetProperty("signedUrl").GetString()!;
        Assert.StartsWith(stack.PublicOrigin + "/supabase/", signedUrl);
        var downloadBefore = Rss(pid);
        string downloaded;
        long downloadPeak;
        var clock = Stopwatch.StartNew();
        using (var sampler = new RssSampler(pid))
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(8) };
            using var response = await http.GetAsync(signedUrl, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync();
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                sha.AppendData(buffer, 0, read);
            }
            downloaded = Convert.ToHexStringLower(sha.GetHashAndReset());
            downloadPeak = sampler.Stop();
        }
        var downloadSeconds = clock.Elapsed.TotalSeconds;
        var downloadAfter = Rss(pid);

        output.WriteLine($"Proxy VmRSS, 200 MB TUS upload (1 PATCH): before {Mb(uploadBefore)}, peak during {Mb(uploadPeak)}, after {Mb(uploadAfter)} ({upload.Output.GetProperty("seconds").GetDouble():F1} s)");
        output.WriteLine($"Proxy VmRSS, 200 MB download (signed URL): before {Mb(downloadBefore)}, peak during {Mb(downloadPeak)}, after {Mb(downloadAfter)} ({downloadSeconds:F1} s)");
        Assert.Equal(upload.Output.GetProperty("sha256").GetString(), downloaded);
        Assert.True(uploadPeak - uploadBefore < AllowedGrowthBytes, $"upload grew the Proxy by {Mb(uploadPeak - uploadBefore)}");
        Assert.True(downloadPeak - downloadBefore < AllowedGrowthBytes, $"download grew the Proxy by {Mb(downloadPeak - downloadBefore)}");
    }

    private static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " MB";

    internal static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException("VmRSS not found");
    }

    /// <summary>Samples VmRSS every 50 ms on a background task; Stop returns the peak.</summary>
    private sealed class RssSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _sampling;
        private long _peak;

        public RssSampler(int pid)
        {
            _sampling = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var rss = Rss(pid);
                    if (rss > Interlocked.Read(ref _peak))
                    {
                        Interlocked.Exchange(ref _peak, rss);
                    }
                    try
                    {
                        await Task.Delay(50, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            });
        }

        public long Stop()
        {
            _stop.Cancel();
            _sampling.Wait();
            return Interlocked.Read(ref _peak);
        }

        public void Dispose()
        {
            if (!_stop.IsCancellationRequested)
            {
                Stop();
            }
            _stop.Dispose();
        }
    }
}
