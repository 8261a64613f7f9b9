using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.Bench.Load;

/// <summary>What one HTTP request of a load run looks like.</summary>
public sealed record HttpRequestShape(string Method = "GET", string? Cookie = null, string? Body = null, string? ContentType = null,
    IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>One wrk run: totals and the latency distribution wrk's HdrHistogram recorded (µs resolution).</summary>
public sealed record WrkResult(long Requests, double Seconds, long Bytes, long SocketErrors, long Non2xx, LatencyStats Latency)
{
    public double RequestsPerSecond => Seconds > 0 ? Requests / Seconds : 0;
}

/// <summary>
/// Drives <c>wrk</c> (closed loop: each connection sends its next request when the previous answer arrives; one
/// thread). A generated Lua script sets the request and prints the summary and percentiles as JSON from <c>done()</c>.
/// </summary>
public static class Wrk
{
    public const string Path = "/usr/bin/wrk";
    private const string Marker = "WRK_RESULT ";

    public static string Version()
    {
        try
        {
            var info = new ProcessStartInfo(Path, "-v") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info)!;
            var text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            var first = text.Split('\n')[0];
            var copyright = first.IndexOf(" Copyright", StringComparison.Ordinal);
            return (copyright > 0 ? first[..copyright] : first).Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "not installed";
        }
    }

    public static async Task<WrkResult> RunAsync(Uri url, int connections, TimeSpan duration, HttpRequestShape shape, CancellationToken ct = default)
    {
        var script = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"gateway-bench-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, Script(shape), ct);
        try
        {
            var info = new ProcessStartInfo(Path)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
                     {
                         "-t1", $"-c{connections}", $"-d{Math.Max(1, (int)Math.Round(duration.TotalSeconds))}s", "--timeout", "5s",
                         "-s", script, url.ToString(),
                     })
            {
                info.ArgumentList.Add(arg);
            }
            using var process = Process.Start(info) ?? throw new InvalidOperationException("wrk did not start");
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var error = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            var text = await output;
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(Marker, StringComparison.Ordinal));
            if (process.ExitCode != 0 || line is null)
            {
                throw new InvalidOperationException($"wrk failed ({process.ExitCode}): {text} {await error}");
            }
            return Parse(line[Marker.Length..]);
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static WrkResult Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        long L(string name) => root.GetProperty(name).GetInt64();
        var curve = root.GetProperty("percentiles").EnumerateArray()
            .Select(p => new PercentilePoint(p[0].GetDouble(), p[1].GetDouble() / 1000.0))
            .ToList();
        var requests = L("requests");
        var latency = LatencyStats.FromCurve(requests, root.GetProperty("mean_us").GetDouble() / 1000.0, curve);
        return new WrkResult(requests, L("duration_us") / 1e6, L("bytes"), L("connect") + L("read") + L("write") + L("timeout"), L("status"), latency);
    }

    private static string Script(HttpRequestShape shape)
    {
        var lua = new StringBuilder();
        lua.AppendLine(CultureInfo.InvariantCulture, $"wrk.method = {Quote(shape.Method)}");
        if (shape.Cookie is not null)
        {
            lua.AppendLine(CultureInfo.InvariantCulture, $"wrk.headers[\"Cookie\"] = {Quote(shape.Cookie)}");
        }
        if (shape.Body is not null)
        {
            lua.AppendLine(CultureInfo.InvariantCulture, $"wrk.body = {Quote(shape.Body)}");
            lua.AppendLine(CultureInfo.InvariantCulture, $"wrk.headers[\"Content-Type\"] = {Quote(shape.ContentType ?? "application/json")}");
        }
        foreach (var (name, value) in shape.Headers ?? new Dictionary<string, string>())
        {
            lua.AppendLine(CultureInfo.InvariantCulture, $"wrk.headers[{Quote(name)}] = {Quote(value)}");
        }
        var percentiles = string.Join(", ", LatencyStats.CurvePercentiles.Select(p => p.ToString(CultureInfo.InvariantCulture)));
        lua.AppendLine(CultureInfo.InvariantCulture, $$"""
            local percentiles = { {{percentiles}} }
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format('{{Marker}}{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"mean_us":%.3f,"percentiles":[',
                summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout, latency.mean))
              for i, p in ipairs(percentiles) do
                if i > 1 then io.write(",") end
                local value = (p == 0 and latency.min) or (p == 100 and latency.max) or latency:percentile(p)
                io.write(string.format('[%s,%d]', tostring(p), value))
              end
              io.write("]}\n")
            end
            """);
        return lua.ToString();
    }

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}
