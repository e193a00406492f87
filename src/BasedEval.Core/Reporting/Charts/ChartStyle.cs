using System.Globalization;
using ScottPlot;
using ScottPlot.Plottables;
using ScottPlot.TickGenerators;

namespace BasedEval.Core.Reporting.Charts;

/// <summary>Colours with at least 4.5:1 contrast on white for text and 3:1 for marks (WCAG 2.1), distinguishable in colour-blind vision (Okabe–Ito).</summary>
public static class Palette
{
    public static readonly Color Baseline = Color.FromHex("#0b5cad");
    public static readonly Color Candidate = Color.FromHex("#b34700");
    public static readonly Color Better = Color.FromHex("#00704a");
    public static readonly Color Worse = Color.FromHex("#b3261e");
    public static readonly Color Text = Color.FromHex("#1f2328");
    public static readonly Color Muted = Color.FromHex("#57606a");
    public static readonly Color Grid = Color.FromHex("#d8dee4");
    public static readonly Color Axis = Color.FromHex("#8c959f");
}

/// <summary>The look every chart shares, so the charts read as one family and match the page around them.</summary>
internal static class ChartStyle
{
    /// <summary>
    /// The families the page's own CSS prefers, in its order; the first one installed draws the PNGs. SVG text names the
    /// whole list, so a browser without the measured font still draws text in a near match rather than a serif default.
    /// </summary>
    public static readonly IReadOnlyList<string> Families = ["Liberation Sans", "DejaVu Sans", "Arial", "Helvetica"];

    public static readonly string Family = Families.FirstOrDefault(SkiaSharp.SKFontManager.Default.GetFontFamilies().Contains) ?? Fonts.Sans;

    /// <summary>
    /// Called before anything is drawn: set afterwards, it swapped the typefaces of text already added for cached ones, so a
    /// label's weight depended on what the process had drawn before (the first chart kept its bold, later ones lost it).
    /// </summary>
    public static void SetFont(Plot plot) => plot.Font.Set(Family);

    public static void Apply(Plot plot, string title)
    {
        plot.Axes.Color(Palette.Muted);
        plot.Title(title, 15);
        plot.Axes.Title.Label.Bold = true;
        plot.Axes.Title.Label.ForeColor = Palette.Text;
        plot.Axes.Bottom.Label.ForeColor = Palette.Text;
        plot.Axes.Left.Label.ForeColor = Palette.Text;
        plot.Grid.MajorLineColor = Palette.Grid;
        plot.FigureBackground.Color = Colors.White;
        plot.DataBackground.Color = Colors.White;
        plot.Legend.FontName = Family;
        plot.Legend.FontColor = Palette.Text;
        plot.Legend.OutlineColor = Palette.Grid;
        plot.Legend.ShadowColor = Colors.Transparent;
    }

    /// <summary>Automatic ticks written with the axis's unit, in the invariant culture.</summary>
    public static void ValueTicks(IAxis axis, AxisUnit unit, string label)
    {
        // No minor ticks: the grid already marks the major ones, and each minor tick is markup in every chart.
        axis.TickGenerator = new NumericAutomatic { LabelFormatter = v => unit.Apply(Number(v)), MinorTickGenerator = new EvenlySpacedMinorTickGenerator(1) };
        axis.Label.Text = label;
        axis.Label.FontSize = 12;
        axis.Label.Bold = false;
    }

    /// <summary>Ticks at given positions with given labels: categories on a bar chart, run dates on a trend.</summary>
    public static void CategoryTicks(IAxis axis, IReadOnlyList<double> positions, IReadOnlyList<string> labels)
    {
        axis.TickGenerator = new NumericManual([.. positions], [.. labels]);
        axis.MajorTickStyle.Length = 0;
        axis.TickLabelStyle.FontSize = 12;
        axis.TickLabelStyle.ForeColor = Palette.Text;
    }

    /// <summary>Intervals drawn as capped whiskers from lower to upper, along x (horizontal) or y, at the given positions.</summary>
    public static void Whiskers(Plot plot, IReadOnlyList<double> positions, IReadOnlyList<double> lowers, IReadOnlyList<double> uppers, bool horizontal, Color color, float width, float capSize)
    {
        var spans = lowers.Zip(uppers, (lower, upper) => upper - lower).ToList();
        var none = positions.Select(_ => 0.0).ToList();
        var whiskers = horizontal
            ? new ErrorBar(lowers, positions, spans, none, none, none)
            : new ErrorBar(positions, lowers, none, none, spans, none);
        whiskers.LineColor = color;
        whiskers.LineWidth = width;
        whiskers.CapSize = capSize;
        plot.Add.Plottable(whiskers);
    }

    public static LegendItem Swatch(string label, Color color) => new() { LabelText = label, FillColor = color };

    public static LegendItem Stroke(string label, Color color, LinePattern? pattern = null) =>
        new() { LabelText = label, LineColor = color, LineWidth = 2.5f, LinePattern = pattern ?? LinePattern.Solid };

    /// <summary>Limits that hold every finite value with a little room, and a unit-wide span around a single value.</summary>
    public static (double Min, double Max) Span(IEnumerable<double> values, double padFraction = 0.05)
    {
        var finite = values.Where(double.IsFinite).ToList();
        if (finite.Count == 0)
        {
            return (0, 1);
        }

        var (min, max) = (finite.Min(), finite.Max());
        if (max - min < 1e-12)
        {
            var pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            return (min - pad, max + pad);
        }

        var room = (max - min) * padFraction;
        return (min - room, max + room);
    }

    /// <summary>Long names are cut so the plot keeps its width; the full name stays in the chart's description.</summary>
    public static string Shorten(string label, int maxLength = 34) => label.Length > maxLength ? label[..(maxLength - 1)] + "…" : label;

    private static string Number(double value)
    {
        var rounded = Math.Round(value, 10);
        return (rounded == 0 ? 0 : rounded).ToString("0.########", CultureInfo.InvariantCulture);
    }
}
