namespace Proxy.Realtime;

/// <summary>Limits and timings of the Realtime relay (section <c>Gateway:Realtime</c>, bound as part of <see cref="Options.GatewayOptions"/>).</summary>
public sealed class RealtimeRelayOptions
{
    /// <summary>Largest message accepted from a client (and inspected from Realtime); bigger ones close the socket with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a peer gets to answer our close frame before its connection is dropped.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long connecting to Realtime may take before the upgrade fails with 502.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Share of a minted token's remaining lifetime after which the relay fetches and pushes a fresh one.</summary>
    public double RotateAfterFraction { get; set; } = 0.75;

    /// <summary>The first setting at fault, or null.</summary>
    public string? Problem()
    {
        if (MaxMessageBytes is < 1024 or > 64 * 1024 * 1024)
        {
            return "Setting 'Gateway:Realtime:MaxMessageBytes' must be between 1024 and 67108864.";
        }
        if (CloseTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero)
        {
            return "Settings 'Gateway:Realtime:CloseTimeout' and 'Gateway:Realtime:ConnectTimeout' must be positive.";
        }
        if (RotateAfterFraction is <= 0.1 or >= 0.95)
        {
            return "Setting 'Gateway:Realtime:RotateAfterFraction' must be between 0.1 and 0.95.";
        }
        return null;
    }
}
