using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Proxy.Realtime;

/// <summary>Traces and metrics of the relay, under the name "Proxy.Realtime".</summary>
public sealed class RealtimeTelemetry
{
    public const string Name = "Proxy.Realtime";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly UpDownCounter<long> _openSockets;
    // Frames are counted with plain increments read by an observable counter: a tagged Counter.Add per relayed
    // message was a measurable share of the relay's hot path. Index: direction * 2 + (binary ? 1 : 0).
    private readonly long[] _frames = new long[4];
    private readonly Counter<long> _rewrites;
    private readonly Counter<long> _rotations;
    private readonly Counter<long> _revocationCloses;
    private readonly Counter<long> _refusedUpgrades;

    public RealtimeTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _openSockets = meter.CreateUpDownCounter<long>("proxy.realtime.sockets.open", "{socket}", "Relayed websockets currently open.");
        meter.CreateObservableCounter("proxy.realtime.frames", ObserveFrames, "{frame}", "Websocket messages relayed, by direction and type.");
        _rewrites = meter.CreateCounter<long>("proxy.realtime.rewrites", "{message}", "phx_join / access_token messages whose token was replaced.");
        _rotations = meter.CreateCounter<long>("proxy.realtime.rotations", "{rotation}", "Fresh tokens pushed upstream for joined channels.");
        _revocationCloses = meter.CreateCounter<long>("proxy.realtime.revocation_closes", "{socket}", "Sockets closed because their session ended.");
        _refusedUpgrades = meter.CreateCounter<long>("proxy.realtime.refused_upgrades", "{request}", "Upgrades refused before reaching Realtime, by reason.");
    }

    public void SocketOpened() => _openSockets.Add(1);

    public void SocketClosed() => _openSockets.Add(-1);

    internal void FrameRelayed(RelayDirection direction, bool binary) =>
        Interlocked.Increment(ref _frames[(int)direction * 2 + (binary ? 1 : 0)]);

    private IEnumerable<Measurement<long>> ObserveFrames()
    {
        for (var i = 0; i < _frames.Length; i++)
        {
            yield return new Measurement<long>(Volatile.Read(ref _frames[i]),
                new KeyValuePair<string, object?>("direction", i / 2 == (int)RelayDirection.ClientToUpstream ? "client_to_upstream" : "upstream_to_client"),
                new KeyValuePair<string, object?>("type", i % 2 == 1 ? "binary" : "text"));
        }
    }

    public void TokenRewritten(string eventName) => _rewrites.Add(1, new KeyValuePair<string, object?>("event", eventName));

    public void TokenRotated() => _rotations.Add(1);

    public void ClosedForRevocation() => _revocationCloses.Add(1);

    public void UpgradeRefused(string reason) => _refusedUpgrades.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
