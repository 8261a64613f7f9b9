using Gateway.Bench.Load;

namespace Gateway.Bench.Report;

/// <summary>One HTTP scenario at one connection count.</summary>
public sealed record HttpScenarioResult(string Id, string Name, int Connections, double RequestsPerSecond, long Requests, long Errors,
    LatencyStats Latency, long? CacheHits = null, long? CacheMisses = null);

/// <summary>Managed bytes the serving process allocated per request (System.Runtime dotnet.gc.heap.total_allocated).</summary>
public sealed record AllocationResult(string Id, string Process, int Connections, long Requests, double BytesPerRequest,
    IReadOnlyList<AllocatedType> TopTypes, long? CacheHits = null, long? CacheMisses = null);

/// <summary>A type's sampled share of the allocated bytes (GC AllocationTick sampling, ~1 sample per 100 KB).</summary>
public sealed record AllocatedType(string Type, double Share, double BytesPerRequest);

/// <summary>Sequential password sign-ins on one connection.</summary>
public sealed record SignInResult(string Path, int Failures, LatencyStats Latency);

/// <summary>Broadcasts delivered from one socket to another on the same topic.</summary>
/// <remarks>CPU µs per delivered broadcast of each process during the measured window: where the relay's cost goes.</remarks>
public sealed record RealtimeResult(string Serializer, string Path, int Window, long Delivered, double Seconds, double MessagesPerSecond,
    LatencyStats Latency, double EmulatorCpuUsPerMessage = 0, double ProxyCpuUsPerMessage = 0, double HarnessCpuUsPerMessage = 0);

/// <summary>Revoking one session of a user from another of its sessions (DELETE /edge/v1/sessions/{id} on the Proxy).</summary>
public sealed record RevocationResult(
    int Revocations,
    int FirstRequestRefused,
    long StaleResponses,
    LatencyStats RevokeRequest,
    LatencyStats HttpRefusedAfterAck,
    LatencyStats SocketClosedAfterRequest,
    int SocketsClosedWith4001,
    int SocketsNotClosed);

/// <summary>The Proxy's memory before and after caching N sessions (one request each).</summary>
public sealed record MemoryResult(int Sessions, long HeapBefore, long HeapAfter, long RssBefore, long RssAfter,
    IReadOnlyDictionary<string, int> EntryParts)
{
    public double HeapBytesPerSession => (HeapAfter - HeapBefore) / (double)Sessions;
    public double RssBytesPerSession => (RssAfter - RssBefore) / (double)Sessions;
}

/// <summary>A product target from issue 7 and how this run did against it (null = not measured in this run).</summary>
public sealed record TargetCheck(string Name, string Target, string Measured, bool? Pass);

public sealed record MachineInfo(string CpuModel, int LogicalCores, string Os, string Kernel, string DotnetRuntime, string Commit,
    bool WorkTreeDirty, string Wrk, string Redis, long MemoryBytes);

public sealed record BenchResults
{
    public required DateTimeOffset StartedAt { get; init; }
    public required bool Smoke { get; init; }
    public required MachineInfo Machine { get; init; }
    public required BenchOptions Options { get; init; }
    public string LoadGenerator { get; init; } =
        "HTTP: wrk (closed loop, 1 thread, N keep-alive connections, HdrHistogram latencies in µs). Sign-in, Realtime, " +
        "revocation: closed-loop .NET clients (HttpClient on one connection, ClientWebSocket), exact percentiles of every sample.";
    public List<HttpScenarioResult> Http { get; init; } = [];
    public List<AllocationResult> Allocations { get; init; } = [];
    public List<SignInResult> SignIn { get; init; } = [];
    public List<RealtimeResult> Realtime { get; init; } = [];
    public RevocationResult? Revocation { get; set; }
    public MemoryResult? Memory { get; set; }
    public ScaleResult Scale { get; init; } = new();
    public List<TargetCheck> Targets { get; set; } = [];
    public List<string> Notes { get; init; } = [];

    /// <summary>/proc/loadavg (1-minute) when the run started and ended: other work on the machine shows up here.</summary>
    public double LoadAverageAtStart { get; init; }
    public double LoadAverageAtEnd { get; set; }
}

/// <summary>The session cache at one size: the Proxy's heap after a full GC, its RSS, and a warm session's latency (1 connection).</summary>
public sealed record SessionScaleRow(int Cached, long HeapBytes, long RssBytes, double RequestsPerSecond, LatencyStats Warm,
    Diagnostics.HeapParts? Heap = null);

/// <summary>Many relayed sockets on one Proxy, and a user holding some of them revoked everywhere.</summary>
public sealed record SocketScaleResult(int Sockets, long HeapBefore, long HeapAfter, long RssBefore, long RssAfter,
    int UserSockets, int UserSessions, double RevokeRequestMs, int ClosedWith4001, int NotClosed, int OthersStillOpen, LatencyStats Closed,
    Diagnostics.HeapParts? PartsBefore = null, Diagnostics.HeapParts? PartsAfter = null)
{
    public double HeapBytesPerSocket => (HeapAfter - HeapBefore) / (double)Sockets;
    public double RssBytesPerSocket => (RssAfter - RssBefore) / (double)Sockets;
}

/// <summary>Scenario 9 (scale).</summary>
public sealed record ScaleResult
{
    public List<SessionScaleRow> Sessions { get; set; } = [];
    public SocketScaleResult? Sockets { get; set; }
}
