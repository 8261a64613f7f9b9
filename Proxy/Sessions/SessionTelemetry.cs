using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Proxy.Sessions;

/// <summary>"Proxy.Sessions": traces of SessionApi resolves, session-cache hit/miss counters and resolve latency.</summary>
public sealed class SessionTelemetry : IDisposable
{
    public const string Name = "Proxy.Sessions";

    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;

    public SessionTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        CacheHits = _meter.CreateCounter<long>("proxy.session_cache.hits", description: "Session lookups answered from memory (no network call).");
        CacheMisses = _meter.CreateCounter<long>("proxy.session_cache.misses", description: "Session lookups that asked the SessionApi.");
        ResolveDuration = _meter.CreateHistogram<double>("proxy.session.resolve.duration", unit: "ms", description: "SessionApi resolve round trips.");
    }

    public Counter<long> CacheHits { get; }

    public Counter<long> CacheMisses { get; }

    public Histogram<double> ResolveDuration { get; }

    public void Dispose() => _meter.Dispose();
}
