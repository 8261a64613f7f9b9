using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Gateway.Bench.Diagnostics;

/// <summary>
/// Reads another .NET process's runtime over EventPipe, as dotnet-counters and dotnet-gcdump do (with their client
/// library, so no global tool is needed): the <c>System.Runtime</c> meter's <c>dotnet.gc.heap.total_allocated</c>
/// (exact bytes allocated since start, published every second) and the live heap after an induced full GC.
/// </summary>
public sealed class AllocationProbe : IAsyncDisposable
{
    private readonly EventPipeSession _session;
    private readonly Task _processing;
    private readonly object _gate = new();
    private readonly Dictionary<string, long> _sampledByType = new(StringComparer.Ordinal);
    private long _latest = -1;
    private int _published;
    private long _cacheHits;
    private long _cacheMisses;

    private AllocationProbe(EventPipeSession session)
    {
        _session = session;
        var source = new EventPipeEventSource(session.EventStream);
        source.Dynamic.All += e =>
        {
            if (e.EventName != "CounterRateValuePublished")
            {
                return;
            }
            switch (e.PayloadByName("instrumentName") as string)
            {
                case "dotnet.gc.heap.total_allocated" when Number(e, "value") is { } value:
                    lock (_gate)
                    {
                        _latest = (long)value;
                        _published++;
                        Monitor.PulseAll(_gate);
                    }
                    break;
                // The Proxy's own session cache counters ("rate" is the increase since the previous publication).
                case "proxy.session_cache.hits" when Number(e, "rate") is { } hits:
                    Interlocked.Add(ref _cacheHits, (long)hits);
                    break;
                case "proxy.session_cache.misses" when Number(e, "rate") is { } misses:
                    Interlocked.Add(ref _cacheMisses, (long)misses);
                    break;
            }
        };
        // Allocation sampling (an event per ~100 KB allocated, naming the type that crossed the threshold): where the bytes go.
        source.Clr.GCAllocationTick += data =>
        {
            lock (_gate)
            {
                var type = string.IsNullOrEmpty(data.TypeName) ? "(unknown)" : data.TypeName;
                _sampledByType[type] = _sampledByType.GetValueOrDefault(type) + data.AllocationAmount64;
            }
        };
        _processing = Task.Run(() =>
        {
            try
            {
                source.Process();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or EndOfStreamException)
            {
            }
        });
    }

    /// <summary>Session cache hits and misses counted since the last <see cref="ResetSamples"/> (Proxy only).</summary>
    public (long Hits, long Misses) CacheCounts => (Interlocked.Read(ref _cacheHits), Interlocked.Read(ref _cacheMisses));

    /// <param name="sampleAllocations">Also sample allocations by type (verbose GC events: a little overhead).</param>
    public static AllocationProbe Start(int pid, bool sampleAllocations = true)
    {
        var client = new DiagnosticsClient(pid);
        List<EventPipeProvider> providers =
        [
            new EventPipeProvider("System.Diagnostics.Metrics", EventLevel.Informational, 0x2, new Dictionary<string, string>
            {
                ["SessionId"] = "gateway-bench-" + Guid.NewGuid().ToString("N")[..8],
                ["Metrics"] = "System.Runtime;Proxy.Sessions",
                ["RefreshInterval"] = "1",
                ["MaxTimeSeries"] = "100",
                ["MaxHistograms"] = "0",
            }),
        ];
        if (sampleAllocations)
        {
            providers.Add(new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, 0x1));
        }
        return new AllocationProbe(client.StartEventPipeSession(providers, requestRundown: false));
    }

    private static double? Number(TraceEvent e, string field) =>
        double.TryParse(Convert.ToString(e.PayloadByName(field), System.Globalization.CultureInfo.InvariantCulture),
            System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>Starts a fresh allocation sample (by type).</summary>
    public void ResetSamples()
    {
        lock (_gate)
        {
            _sampledByType.Clear();
        }
        Interlocked.Exchange(ref _cacheHits, 0);
        Interlocked.Exchange(ref _cacheMisses, 0);
    }

    /// <summary>The sampled share of allocated bytes per type, largest first.</summary>
    public List<(string Type, double Share)> TopTypes(int count)
    {
        lock (_gate)
        {
            var total = (double)Math.Max(1, _sampledByType.Values.Sum());
            return [.. _sampledByType.OrderByDescending(t => t.Value).Take(count).Select(t => (t.Key, t.Value / total))];
        }
    }

    /// <summary>Waits for the next published total (a fresh one, published after this call).</summary>
    public Task<long> NextTotalAllocatedAsync(TimeSpan timeout) => Task.Run(() =>
    {
        lock (_gate)
        {
            var seen = _published;
            var deadline = DateTime.UtcNow + timeout;
            // Two publications: the first may have been sampled before this call.
            while (_published < seen + 2)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !Monitor.Wait(_gate, left))
                {
                    throw new TimeoutException("dotnet.gc.heap.total_allocated was not published (is the target a .NET 8+ process?)");
                }
            }
            return _latest;
        }
    });

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _session.StopAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is ServerNotAvailableException or IOException or TimeoutException)
        {
        }
        await Task.WhenAny(_processing, Task.Delay(TimeSpan.FromSeconds(5)));
        _session.Dispose();
    }
}

/// <summary>The managed heap after a full GC by part: small-object heap (gen 0–2), large-object heap, pinned-object heap
/// (Kestrel's and the sockets' pinned buffers live there). Each includes that part's free space (fragmentation).</summary>
public sealed record HeapParts(long SmallObjects, long LargeObjects, long PinnedObjects)
{
    public long Total => SmallObjects + LargeObjects + PinnedObjects;
}

/// <summary>The managed heap of a process right after a full blocking GC that we induce (like dotnet-gcdump).</summary>
public static class HeapProbe
{
    public static async Task<long> LiveHeapAfterFullGcAsync(int pid, TimeSpan timeout) => (await HeapAfterFullGcAsync(pid, timeout)).Total;

    private const long GcKeyword = 0x1;
    private const long GcHeapCollectKeyword = 0x800000;

    public static async Task<HeapParts> HeapAfterFullGcAsync(int pid, TimeSpan timeout)
    {
        var client = new DiagnosticsClient(pid);
        using var session = client.StartEventPipeSession(
            [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GcKeyword | GcHeapCollectKeyword)],
            requestRundown: false);
        var source = new EventPipeEventSource(session.EventStream);
        var result = new TaskCompletionSource<HeapParts>(TaskCreationOptions.RunContinuationsAsynchronously);
        var inducedFullGc = false;
        source.Clr.GCStart += data =>
        {
            if (data.Depth == 2 && data.Reason is GCReason.Induced or GCReason.InducedNotForced or GCReason.InducedCompacting)
            {
                inducedFullGc = true;
            }
        };
        source.Clr.GCHeapStats += data =>
        {
            if (inducedFullGc)
            {
                result.TrySetResult(new HeapParts(data.GenerationSize0 + data.GenerationSize1 + data.GenerationSize2, data.GenerationSize3, data.GenerationSize4));
            }
        };
        var processing = Task.Run(() =>
        {
            try
            {
                source.Process();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or EndOfStreamException)
            {
            }
        });
        try
        {
            return await result.Task.WaitAsync(timeout);
        }
        finally
        {
            try
            {
                await session.StopAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is ServerNotAvailableException or IOException or TimeoutException)
            {
            }
            await Task.WhenAny(processing, Task.Delay(TimeSpan.FromSeconds(5)));
        }
    }
}
