using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Proxy.Realtime;

/// <summary>Traces and metrics of the relay, under the name "Proxy.Realtime".</summary>
public sealed class RealtimeTelemetry
{
    public const string Name = "Proxy.Realtime";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly UpDownCounter<long> _openSockets;
    private readonly Counter<long> _frames;
    private readonly Counter<long> _rewrites;
    private readonly Counter<long> _rotations;
    private readonly Counter<long> _revocationCloses;
    private readonly Counter<long> _refusedUpgrades;

    public RealtimeTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _openSockets = meter.CreateUpDownCounter<long>("proxy.realtime.sockets.open", "{socket}", "Relayed websockets currently open.");
        _frames = meter.CreateCounter<long>("proxy.realtime.frames", "{frame}", "Websocket messages relayed, by direction and type.");
        _rewrites = meter.CreateCounter<long>("proxy.realtime.rewrites", "{message}", "phx_join / access_token messages whose token was replaced.");
        _rotations = meter.CreateCounter<long>("proxy.realtime.rotations", "{rotation}", "Fresh tokens pushed upstream for joined channels.");
        _revocationCloses = meter.CreateCounter<long>("proxy.realtime.revocation_closes", "{socket}", "Sockets closed because their session ended.");
        _refusedUpgrades = meter.CreateCounter<long>("proxy.realtime.refused_upgrades", "{request}", "Upgrades refused before reaching Realtime, by reason.");
    }

    public void SocketOpened() => _openSockets.Add(1);

    public void SocketClosed() => _openSockets.Add(-1);

    public void FrameRelayed(string direction, string type) =>
        _frames.Add(1, new KeyValuePair<string, object?>("direction", direction), new KeyValuePair<string, object?>("type", type));

    public void TokenRewritten(string eventName) => _rewrites.Add(1, new KeyValuePair<string, object?>("event", eventName));

    public void TokenRotated() => _rotations.Add(1);

    public void ClosedForRevocation() => _revocationCloses.Add(1);

    public void UpgradeRefused(string reason) => _refusedUpgrades.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
