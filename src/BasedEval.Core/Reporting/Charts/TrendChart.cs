using ScottPlot;

namespace BasedEval.Core.Reporting.Charts;

/// <summary>One measurement in a series over time, with its interval.</summary>
public sealed record TrendPoint(string Label, double Value, double Lower, double Upper);

/// <summary>A metric across runs in time order: points joined by a line, each with its interval, labelled under the axis.</summary>
public sealed record TrendChart(string Id, string Title, string Description, string YTitle, AxisUnit YUnit, IReadOnlyList<TrendPoint> Points) : Chart(Id, Title, Description)
{
    public override int Width => Math.Max(560, 120 + (Points.Count * 56));

    public override int Height => 380;

    protected override void Draw(Plot plot)
    {
        var shown = Points.Select((p, i) => (p, x: (double)i)).Where(t => double.IsFinite(t.p.Value)).ToList();
        if (shown.Count > 0)
        {
            var line = plot.Add.Scatter(shown.Select(t => t.x).ToArray(), shown.Select(t => t.p.Value).ToArray(), Palette.Baseline);
            line.LineWidth = 2;
            line.MarkerSize = 10;
        }

        var whiskers = shown.Where(t => double.IsFinite(t.p.Lower) && double.IsFinite(t.p.Upper)).ToList();
        ChartStyle.Whiskers(plot, whiskers.Select(t => t.x).ToList(), whiskers.Select(t => t.p.Lower).ToList(), whiskers.Select(t => t.p.Upper).ToList(), horizontal: false, Palette.Baseline, 1.5f, 8);
        var (yMin, yMax) = ChartStyle.Span(Points.SelectMany(p => new[] { p.Value, p.Lower, p.Upper }), 0.08);
        plot.Axes.SetLimits(-0.5, Math.Max(1, Points.Count) - 0.5, yMin, yMax);
        ChartStyle.ValueTicks(plot.Axes.Left, YUnit, YTitle);
        ChartStyle.CategoryTicks(plot.Axes.Bottom, Points.Select((_, i) => (double)i).ToList(), Points.Select(p => ChartStyle.Shorten(p.Label, 16)).ToList());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -40;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 90;
    }
}
