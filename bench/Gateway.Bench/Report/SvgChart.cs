using System.Globalization;
using System.Net;
using System.Text;
using Gateway.Bench.Load;

namespace Gateway.Bench.Report;

/// <summary>
/// Latency percentile curves (HdrHistogram style: x is the percentile on a "nines" scale, y the latency on a log
/// scale), one panel per measurement, hand-written SVG.
/// </summary>
public static class SvgChart
{
    private const int Width = 1000;
    private const int PanelHeight = 320;
    private const int Left = 70;
    private const int Right = 270;
    private const int Top = 40;
    private const int Bottom = 45;
    private const double MaxNines = 4.5; // p99.99 sits at 4; "max" is drawn at 4.5
    private static readonly string[] Colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    public sealed record Series(string Name, IReadOnlyList<PercentilePoint> Curve);

    public sealed record Panel(string Title, IReadOnlyList<Series> Series);

    public static string Render(string title, IReadOnlyList<Panel> panels)
    {
        var height = 30 + panels.Count * PanelHeight;
        var svg = new StringBuilder();
        svg.Append(Invariant($"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="sans-serif" font-size="12">"""));
        svg.Append(Invariant($"""<rect width="{Width}" height="{height}" fill="white"/><text x="{Width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">{Escape(title)}</text>"""));
        for (var i = 0; i < panels.Count; i++)
        {
            RenderPanel(svg, panels[i], 30 + i * PanelHeight);
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static void RenderPanel(StringBuilder svg, Panel panel, int offsetY)
    {
        var plotWidth = Width - Left - Right;
        var plotHeight = PanelHeight - Top - Bottom;
        var x0 = Left;
        var y0 = offsetY + Top;
        var values = panel.Series.SelectMany(s => s.Curve.Select(c => c.Ms)).Where(v => v > 0).DefaultIfEmpty(1).ToList();
        var lowDecade = Math.Floor(Math.Log10(values.Min()));
        var highDecade = Math.Ceiling(Math.Log10(values.Max()));
        if (highDecade <= lowDecade)
        {
            highDecade = lowDecade + 1;
        }

        double X(double percentile) => x0 + plotWidth * Nines(percentile) / MaxNines;
        double Y(double ms) => y0 + plotHeight * (1 - (Math.Log10(Math.Max(ms, Math.Pow(10, lowDecade))) - lowDecade) / (highDecade - lowDecade));

        svg.Append(Invariant($"""<text x="{x0}" y="{offsetY + 24}" font-size="13" font-weight="bold">{Escape(panel.Title)}</text>"""));
        svg.Append(Invariant($"""<rect x="{x0}" y="{y0}" width="{plotWidth}" height="{plotHeight}" fill="none" stroke="#999"/>"""));
        for (var decade = lowDecade; decade <= highDecade; decade++)
        {
            var y = Y(Math.Pow(10, decade));
            svg.Append(Invariant($"""<line x1="{x0}" y1="{y:0.#}" x2="{x0 + plotWidth}" y2="{y:0.#}" stroke="#ddd"/>"""));
            svg.Append(Invariant($"""<text x="{x0 - 6}" y="{y + 4:0.#}" text-anchor="end">{Math.Pow(10, decade).ToString("0.###", CultureInfo.InvariantCulture)}</text>"""));
        }
        foreach (var (percentile, label) in new[] { (0.0, "0"), (90.0, "90"), (99.0, "99"), (99.9, "99.9"), (99.99, "99.99"), (100.0, "max") })
        {
            var x = X(percentile);
            svg.Append(Invariant($"""<line x1="{x:0.#}" y1="{y0}" x2="{x:0.#}" y2="{y0 + plotHeight}" stroke="#eee"/>"""));
            svg.Append(Invariant($"""<text x="{x:0.#}" y="{y0 + plotHeight + 16}" text-anchor="middle">{label}</text>"""));
        }
        svg.Append(Invariant($"""<text x="{x0 + plotWidth / 2}" y="{y0 + plotHeight + 34}" text-anchor="middle">percentile</text>"""));
        svg.Append(Invariant($"""<text x="18" y="{y0 + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 18 {y0 + plotHeight / 2})">latency (ms, log)</text>"""));

        for (var i = 0; i < panel.Series.Count; i++)
        {
            var series = panel.Series[i];
            var color = Colors[i % Colors.Length];
            var points = string.Join(" ", series.Curve.Select(c => Invariant($"{X(c.Percentile):0.#},{Y(c.Ms):0.#}")));
            svg.Append(Invariant($"""<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>"""));
            var legendY = y0 + 10 + i * 18;
            svg.Append(Invariant($"""<line x1="{x0 + plotWidth + 12}" y1="{legendY}" x2="{x0 + plotWidth + 32}" y2="{legendY}" stroke="{color}" stroke-width="3"/>"""));
            svg.Append(Invariant($"""<text x="{x0 + plotWidth + 38}" y="{legendY + 4}">{Escape(series.Name)}</text>"""));
        }
    }

    /// <summary>0 → 0, 90 → 1, 99 → 2, 99.9 → 3, 99.99 → 4, 100 → 4.5.</summary>
    private static double Nines(double percentile) =>
        percentile >= 100 ? MaxNines : Math.Min(4.25, Math.Log10(100 / (100 - percentile)));

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
