using ScottPlot;

namespace BasedEval.Core.Reporting.Charts;

/// <summary>One row: an estimate drawn as a bar from zero, its interval as a whisker, and a mark when it is significant.</summary>
public sealed record IntervalBar(string Label, double Estimate, double Lower, double Upper, bool Marked);

/// <summary>
/// Horizontal bars with error bars, one row per group: the shape for a paired difference per suite or per slice. A dashed
/// line shows the gate's threshold so a reader sees at a glance which intervals cross it; the right axis writes each
/// interval out in numbers.
/// </summary>
public sealed record IntervalBarChart(
    string Id,
    string Title,
    string Description,
    string AxisTitle,
    AxisUnit Unit,
    IReadOnlyList<IntervalBar> Bars,
    string MarkLabel,
    double? Threshold = null,
    string? ThresholdLabel = null) : Chart(Id, Title, Description)
{
    private const int RowHeight = 26;

    public override int Width => 760;

    /// <summary>Room for the title, the legend's two lines and the axis, then one row per bar.</summary>
    public override int Height => 175 + (Math.Max(1, Bars.Count) * RowHeight);

    protected override void Draw(Plot plot)
    {
        var rows = Enumerable.Range(0, Bars.Count).Select(i => (double)(Bars.Count - 1 - i)).ToList();
        var drawn = Bars.Select((bar, i) => (bar, y: rows[i])).ToList();
        var bars = plot.Add.Bars(drawn.Where(d => double.IsFinite(d.bar.Estimate))
            .Select(d => new Bar { Position = d.y, Value = d.bar.Estimate, ValueBase = 0, Size = 0.55, FillColor = d.bar.Estimate >= 0 ? Palette.Better : Palette.Worse, LineWidth = 0 })
            .ToList());
        bars.Horizontal = true;

        var whiskers = drawn.Where(d => double.IsFinite(d.bar.Lower) && double.IsFinite(d.bar.Upper)).ToList();
        ChartStyle.Whiskers(plot, whiskers.Select(d => d.y).ToList(), whiskers.Select(d => d.bar.Lower).ToList(), whiskers.Select(d => d.bar.Upper).ToList(), horizontal: true, Palette.Text, 1.5f, 8);
        plot.Add.VerticalLine(0, 1, Palette.Text);
        var legend = new List<LegendItem> { ChartStyle.Swatch("better", Palette.Better), ChartStyle.Swatch("worse", Palette.Worse), ChartStyle.Stroke("interval", Palette.Text) };
        if (Threshold is { } threshold && double.IsFinite(threshold))
        {
            plot.Add.VerticalLine(threshold, 1.5f, Palette.Worse, LinePattern.Dashed);
            legend.Add(ChartStyle.Stroke(ThresholdLabel ?? "threshold", Palette.Worse, LinePattern.Dashed));
        }

        legend.Add(new LegendItem { LabelText = "* " + MarkLabel });
        plot.Legend.ManualItems.AddRange(legend);
        plot.ShowLegend(Edge.Top);
        plot.Axes.Top.MaximumSize = 8;

        var (min, max) = ChartStyle.Span(Bars.SelectMany(b => new[] { b.Estimate, b.Lower, b.Upper }).Append(0).Append(Threshold ?? 0));
        plot.Axes.SetLimitsX(min, max);
        ChartStyle.ValueTicks(plot.Axes.Bottom, Unit, AxisTitle);
        foreach (var axis in new[] { plot.Axes.Left, plot.Axes.Right })
        {
            plot.Axes.SetLimitsY(-0.6, Math.Max(1, Bars.Count) - 0.4, axis);
        }

        ChartStyle.CategoryTicks(plot.Axes.Left, rows, Bars.Select(b => ChartStyle.Shorten(b.Label) + (b.Marked ? " *" : "")).ToList());
        ChartStyle.CategoryTicks(plot.Axes.Right, rows, Bars.Select(b => $"{Unit.Value(b.Estimate, withSign: true)} [{Unit.Value(b.Lower)}, {Unit.Value(b.Upper)}]").ToList());
        plot.Axes.Right.TickLabelStyle.ForeColor = Palette.Muted;
        plot.Grid.YAxisStyle.IsVisible = false;
    }
}
