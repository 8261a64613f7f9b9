namespace Gateway.Bench.Load;

/// <summary>One point of a latency distribution: the latency (ms) at a percentile (0–100).</summary>
public sealed record PercentilePoint(double Percentile, double Ms);

/// <summary>A latency distribution reduced to what the report shows.</summary>
public sealed record LatencyStats(long Count, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs,
    IReadOnlyList<PercentilePoint> Curve)
{
    /// <summary>Percentiles drawn in the chart (and asked of wrk): dense in the tail, like HdrHistogram plots.</summary>
    public static readonly double[] CurvePercentiles =
        [0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 99, 99.5, 99.7, 99.9, 99.95, 99.99, 100];

    public static LatencyStats FromCurve(long count, double meanMs, IReadOnlyList<PercentilePoint> curve)
    {
        double At(double p) => curve.Where(c => c.Percentile >= p).Select(c => c.Ms).DefaultIfEmpty(curve[^1].Ms).First();
        return new LatencyStats(count, meanMs, At(50), At(90), At(99), At(99.9), At(100), curve);
    }

    /// <summary>Exact percentiles of recorded samples (nearest rank), for the closed-loop .NET measurements.</summary>
    public static LatencyStats FromSamples(IReadOnlyCollection<double> samplesMs)
    {
        if (samplesMs.Count == 0)
        {
            return new LatencyStats(0, 0, 0, 0, 0, 0, 0, []);
        }
        var sorted = samplesMs.Order().ToArray();
        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        var curve = CurvePercentiles.Select(p => new PercentilePoint(p, Rank(p))).ToList();
        return new LatencyStats(sorted.Length, sorted.Average(), Rank(50), Rank(90), Rank(99), Rank(99.9), sorted[^1], curve);
    }
}
