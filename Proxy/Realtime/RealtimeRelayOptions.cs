namespace Proxy.Realtime;

/// <summary>Limits and timings of the Realtime relay (section <c>Gateway:Realtime</c>).</summary>
public sealed class RealtimeRelayOptions
{
    public const string SectionName = "Gateway:Realtime";

    /// <summary>Largest message accepted from a client (and inspected from Realtime); bigger ones close the socket with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a peer gets to answer our close frame before its connection is dropped.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long connecting to Realtime may take before the upgrade fails with 502.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Share of a minted token's remaining lifetime after which the relay fetches and pushes a fresh one.</summary>
    public double RotateAfterFraction { get; set; } = 0.75;
}

/// <summary>Where Realtime is: the Supabase API gateway and the project key sent as <c>apikey</c> (section <c>Supabase</c>).</summary>
public sealed class RealtimeUpstreamOptions
{
    public const string SectionName = "Supabase";

    public string Url { get; set; } = "";

    public string AnonKey { get; set; } = "";
}
