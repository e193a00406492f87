using ScottPlot;

namespace BasedEval.Core.Reporting.Charts;

/// <summary>A labelled point with a vertical interval.</summary>
public sealed record ScatterPoint(string Label, double X, double Y, double YLower, double YUpper, Color Color);

/// <summary>Points with vertical error bars on value axes: quality against cost, one point per model.</summary>
public sealed record ScatterChart(string Id, string Title, string Description, string XTitle, AxisUnit XUnit, string YTitle, AxisUnit YUnit, IReadOnlyList<ScatterPoint> Points)
    : Chart(Id, Title, Description)
{
    public override int Width => 560;

    public override int Height => 360;

    protected override void Draw(Plot plot)
    {
        var xs = Points.Select(p => p.X).Where(double.IsFinite).Append(0).ToList();
        var xMax = xs.Max() > 0 ? xs.Max() * 1.15 : 1;
        foreach (var point in Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)))
        {
            if (double.IsFinite(point.YLower) && double.IsFinite(point.YUpper))
            {
                ChartStyle.Whiskers(plot, [point.X], [point.YLower], [point.YUpper], horizontal: false, point.Color, 2, 12);
            }

            var marker = plot.Add.Marker(point.X, point.Y, MarkerShape.FilledCircle, 12, point.Color);
            marker.MarkerLineColor = Colors.White;
            // Labels go on the side with room, so the rightmost point's name is not cut off.
            var right = point.X < xMax * 0.6;
            var label = plot.Add.Text(ChartStyle.Shorten(point.Label, 48), point.X, point.Y);
            label.LabelAlignment = right ? Alignment.LowerLeft : Alignment.LowerRight;
            label.OffsetX = right ? 10 : -10;
            label.OffsetY = -6;
            label.LabelFontColor = point.Color;
            label.LabelFontSize = 12;
            label.LabelBold = true;
            label.LabelFontName = ChartStyle.Family;
        }

        var (yMin, yMax) = ChartStyle.Span(Points.SelectMany(p => new[] { p.Y, p.YLower, p.YUpper }), 0.12);
        // A little room left of zero, so a free model's point and whisker are not drawn over the axis.
        plot.Axes.SetLimits(-xMax * 0.04, xMax, yMin, yMax);
        ChartStyle.ValueTicks(plot.Axes.Bottom, XUnit, XTitle);
        ChartStyle.ValueTicks(plot.Axes.Left, YUnit, YTitle);
    }
}
