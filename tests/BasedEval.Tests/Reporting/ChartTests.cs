using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using BasedEval.Core.Reporting;
using BasedEval.Core.Reporting.Charts;
using SkiaSharp;

namespace BasedEval.Tests.Reporting;

/// <summary>
/// Every chart kind, drawn by ScottPlot from awkward data, still gives well-formed SVG that can sit inline beside other
/// charts and a decodable PNG with marks on it.
/// </summary>
public class ChartTests
{
    private static readonly string LongName = "an-extremely-long-target-name-" + new string('x', 260);

    public static TheoryData<string> EdgeCases => new(Cases.Keys);

    private static Dictionary<string, Chart> Cases => new()
    {
        ["bars: none"] = Bars([]),
        ["bars: one"] = Bars([new IntervalBar("only", -1.5, -3, 0.2, true)]),
        ["bars: all equal"] = Bars([new IntervalBar("a", 0, 0, 0, false), new IntervalBar("b", 0, 0, 0, false)]),
        ["bars: not a number"] = Bars([new IntervalBar("no data", double.NaN, double.NaN, double.NaN, false), new IntervalBar("half", 2, double.NaN, double.PositiveInfinity, false)]),
        ["bars: long names"] = Bars([new IntervalBar(LongName, 3, 1, 5, true), new IntervalBar(LongName + "2", -3, -5, -1, false)]),
        ["scatter: one point"] = Scatter([new ScatterPoint("only", 0.5, 80, 78, 82, Palette.Baseline)]),
        ["scatter: equal and free"] = Scatter([new ScatterPoint("a", 0, 50, 50, 50, Palette.Baseline), new ScatterPoint("b", 0, 50, 50, 50, Palette.Candidate)]),
        ["scatter: not a number"] = Scatter([new ScatterPoint("a", double.NaN, double.NaN, double.NaN, double.NaN, Palette.Baseline), new ScatterPoint("b", 1, 60, double.NaN, double.NaN, Palette.Candidate)]),
        ["scatter: long names"] = Scatter([new ScatterPoint(LongName, 0.9, 81, 79, 83, Palette.Baseline), new ScatterPoint(LongName, 0.05, 80, 78, 82, Palette.Candidate)]),
        ["cdf: empty"] = Cdf([new CdfSeries("baseline", Palette.Baseline, []), new CdfSeries("candidate", Palette.Candidate, [], Dashed: true)]),
        ["cdf: all equal"] = Cdf([new CdfSeries("baseline", Palette.Baseline, Enumerable.Repeat(120.0, 101).ToList())]),
        ["cdf: not a number"] = Cdf([new CdfSeries("nan", Palette.Baseline, Enumerable.Repeat(double.NaN, 101).ToList()), new CdfSeries("ok", Palette.Candidate, Enumerable.Range(0, 101).Select(p => 10.0 + p).ToList())]),
        ["cdf: long names"] = Cdf([new CdfSeries(LongName, Palette.Baseline, Enumerable.Range(0, 101).Select(p => 100.0 + p).ToList()), new CdfSeries(LongName, Palette.Candidate, Enumerable.Range(0, 101).Select(p => 90.0 + (2 * p)).ToList(), Dashed: true)]),
        ["trend: none"] = Trend([]),
        ["trend: one"] = Trend([new TrendPoint("01-02 10:00", 70, 65, 75)]),
        ["trend: all equal"] = Trend([new TrendPoint("a", 50, 50, 50), new TrendPoint("b", 50, 50, 50), new TrendPoint("c", 50, 50, 50)]),
        ["trend: not a number"] = Trend([new TrendPoint("a", double.NaN, double.NaN, double.NaN), new TrendPoint("b", 60, double.NaN, 62)]),
        ["trend: long labels"] = Trend(Enumerable.Range(0, 30).Select(i => new TrendPoint(LongName, 60 + (i % 7), 55, 70)).ToList()),
    };

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void Awkward_data_gives_well_formed_svg_and_a_png_with_marks(string name)
    {
        RequireFont();
        var chart = Cases[name];

        var svg = XDocument.Parse(chart.ToSvg()).Root!;
        Assert.Equal("img", svg.Attribute("role")!.Value);
        Assert.Equal($"0 0 {chart.Width} {chart.Height}", svg.Attribute("viewBox")!.Value);
        Assert.Equal(chart.Title, svg.Elements().First(e => e.Name.LocalName == "title").Value);
        Assert.Contains(svg.Descendants(), e => e.Name.LocalName == "text" && e.Value.Contains(chart.Title, StringComparison.Ordinal));

        var png = chart.ToPng();
        // Kept for a person to look at, as the browser test keeps its screenshot.
        File.WriteAllBytes(Path.Combine(Artifacts(), Regex.Replace(name, "[^a-z]+", "-") + ".png"), png);
        var (width, height) = PngSize(png);
        Assert.Equal((int)(chart.Width * Chart.PngScale), width);
        Assert.Equal((int)(chart.Height * Chart.PngScale), height);
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        var colours = Enumerable.Range(0, 40 * 40).Select(i => bitmap.GetPixel((i % 40) * width / 40, (i / 40) * height / 40)).Distinct().Count();
        Assert.True(colours > 1, $"{name}: the PNG is blank");
    }

    [Fact]
    public void Every_chart_of_a_report_has_ids_of_its_own_and_writes_the_same_markup_every_time()
    {
        var html = new HtmlReportWriter().Render(SyntheticComparison.Create().Comparison);
        var again = new HtmlReportWriter().Render(SyntheticComparison.Create().Comparison);

        Assert.Equal(html, again);
        var ids = Regex.Matches(html, "\\bid=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        var references = Regex.Matches(html, "url\\(#([^)]+)\\)").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.Contains(r, ids));
    }

    /// <summary>
    /// A report reads the same whatever the process drew before it and whatever it draws beside it: the first report of a
    /// process once had bold labels that later ones lacked, so a report rewritten from the store differed from the first.
    /// </summary>
    [Fact]
    public async Task The_first_report_of_a_process_and_reports_drawn_at_once_on_several_threads_write_the_same_markup()
    {
        var comparison = SyntheticComparison.Create().Comparison;
        var alone = new HtmlReportWriter().Render(comparison);

        var together = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => new HtmlReportWriter().Render(comparison), TestContext.Current.CancellationToken)));

        Assert.All(together, html => Assert.Equal(alone, html));
    }

    [Fact]
    public void Svg_refers_to_nothing_outside_itself_and_names_fonts_a_browser_has()
    {
        RequireFont();
        var svg = Cases["bars: long names"].ToSvg();

        Assert.DoesNotContain("http:", svg.Replace("http://www.w3.org/", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https:", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("<image", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("@font-face", svg, StringComparison.Ordinal);
        Assert.DoesNotMatch("href=\"(?!#)", svg);
        var families = Regex.Matches(svg, "font-family=\"([^\"]*)\"").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(families);
        Assert.All(families, f =>
        {
            Assert.EndsWith(", sans-serif", f, StringComparison.Ordinal);
            Assert.All(new[] { "'Liberation Sans'", "'DejaVu Sans'", "'Arial'" }, family => Assert.Contains(family, f, StringComparison.Ordinal));
        });
    }

    [Fact]
    public void Label_text_from_data_is_escaped_and_stays_text()
    {
        RequireFont();
        var svg = Bars([new IntervalBar("<script>alert(1)</script> & \"more\"", 1, 0, 2, false)]).ToSvg();

        Assert.DoesNotContain("<script>", svg, StringComparison.Ordinal);
        var texts = XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim());
        Assert.Contains("<script>alert(1)</script> & \"more\"", texts);
    }

    [Fact]
    public void A_chart_reads_the_same_in_a_culture_that_writes_decimal_commas()
    {
        var chart = Cases["cdf: long names"];
        var invariant = chart.ToSvg();
        using var comma = new CommaCulture();
        Assert.Equal(invariant, chart.ToSvg());
        Assert.Same(comma.Culture, CultureInfo.CurrentCulture);
    }

    internal static string Artifacts() => Directory.CreateDirectory(Path.Combine(BrowserReportTests.RepositoryRoot(), "TestResults", "charts")).FullName;

    /// <summary>The width and height from a PNG's IHDR chunk, after checking the signature.</summary>
    internal static (int Width, int Height) PngSize(byte[] png)
    {
        Assert.True(png.Length > 33, $"{png.Length} bytes is too short for a PNG");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a }, png[..8]);
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));
    }

    private static IntervalBarChart Bars(IReadOnlyList<IntervalBar> bars) =>
        new("bars", "Accuracy difference by slice", "Per slice.", "candidate − baseline (points)", AxisUnit.None, bars, "Holm-adjusted p < 0.05", -2, "margin −2 pts");

    private static ScatterChart Scatter(IReadOnlyList<ScatterPoint> points) =>
        new("scatter", "Quality against cost", "Models.", "cost per 1,000 requests (USD)", new AxisUnit("$"), "accuracy", new AxisUnit(Suffix: "%"), points);

    private static CdfChart Cdf(IReadOnlyList<CdfSeries> series) => new("cdf", "Time to first token (CDF)", "Distributions.", "TTFT (ms)", AxisUnit.None, series);

    private static TrendChart Trend(IReadOnlyList<TrendPoint> points) => new("trend", "Accuracy across runs", "Runs.", "accuracy", new AxisUnit(Suffix: "%"), points);

    /// <summary>
    /// ScottPlot writes no chart text on a machine without a font, so what checks text needs one. Skia names a family even
    /// there, so the check is whether a chart's title comes out as text.
    /// </summary>
    internal static void RequireFont() =>
        Prerequisite.RequireInstalledByCi(Trend([]).ToSvg().Contains("<text", StringComparison.Ordinal), "no font is installed, and ScottPlot writes no chart text without one (Debian: fonts-liberation)");
}
