using ScottPlot;

namespace BasedEval.Core.Reporting.Charts;

/// <summary>One distribution as its 0th–100th percentiles (101 values).</summary>
public sealed record CdfSeries(string Label, Color Color, IReadOnlyList<double> Quantiles, bool Dashed = false);

/// <summary>
/// Cumulative distributions: the share of requests at or below each latency. Curves stop at the 99th percentile so one
/// slow outlier cannot squeeze the body of the distribution into a corner; the tables carry the maxima.
/// </summary>
public sealed record CdfChart(string Id, string Title, string Description, string XTitle, AxisUnit XUnit, IReadOnlyList<CdfSeries> Series) : Chart(Id, Title, Description)
{
    private const int LastPercentile = 99;

    public override int Width => 400;

    public override int Height => 300;

    protected override void Draw(Plot plot)
    {
        var drawn = Series.Where(s => s.Quantiles.Count > LastPercentile && s.Quantiles.Take(LastPercentile + 1).All(double.IsFinite)).ToList();
        var percentiles = Enumerable.Range(0, LastPercentile + 1).Select(p => (double)p).ToArray();
        foreach (var series in drawn)
        {
            var line = plot.Add.ScatterLine(series.Quantiles.Take(LastPercentile + 1).ToArray(), percentiles, series.Color);
            line.LineWidth = 2.5f;
            line.LinePattern = series.Dashed ? LinePattern.Dashed : LinePattern.Solid;
        }

        // Below a rising curve's right end is where a CDF leaves room for the legend.
        plot.Legend.ManualItems.AddRange(Series.Select(s => ChartStyle.Stroke(ChartStyle.Shorten(s.Label, 28), s.Color, s.Dashed ? LinePattern.Dashed : null)));
        plot.ShowLegend(Alignment.LowerRight);

        var (min, max) = drawn.Count == 0 ? (0, 1) : ChartStyle.Span(drawn.SelectMany(s => s.Quantiles.Take(LastPercentile + 1)).Append(0), 0.03);
        foreach (var p in new[] { 50, 95 })
        {
            plot.Add.HorizontalLine(p, 1, Palette.Axis, LinePattern.Dotted);
            // Left of the curves at these heights is above them, so the label is never drawn over a line.
            var label = plot.Add.Text("p" + p.ToString(System.Globalization.CultureInfo.InvariantCulture), min, p);
            label.LabelAlignment = Alignment.LowerLeft;
            label.OffsetX = 3;
            label.LabelFontColor = Palette.Muted;
            label.LabelFontSize = 10;
            label.LabelFontName = ChartStyle.Family;
        }

        if (drawn.Count == 0)
        {
            var empty = plot.Add.Text("no measurements", (min + max) / 2, 50);
            empty.LabelAlignment = Alignment.MiddleCenter;
            empty.LabelFontColor = Palette.Muted;
            empty.LabelFontSize = 13;
            empty.LabelFontName = ChartStyle.Family;
        }

        plot.Axes.SetLimits(min, max, 0, 100);
        ChartStyle.ValueTicks(plot.Axes.Bottom, XUnit, XTitle);
        ChartStyle.ValueTicks(plot.Axes.Left, new AxisUnit(Suffix: "%"), "requests at or below");
    }
}
