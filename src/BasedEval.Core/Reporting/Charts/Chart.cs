using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace BasedEval.Core.Reporting.Charts;

/// <summary>
/// A chart of a report, drawn by ScottPlot: the same plot becomes inline SVG for report.html and a PNG for summary.md and
/// the PDF. The title and description say in words what the chart shows, for screen readers and as alternative text.
/// </summary>
public abstract record Chart(string Id, string Title, string Description)
{
    private static readonly Lock OneAtATime = new();

    /// <summary>PNGs are drawn at twice the CSS size so they stay sharp on high-density screens and on paper.</summary>
    public const float PngScale = 2;

    public abstract int Width { get; }

    public abstract int Height { get; }

    /// <summary>The chart as an &lt;svg&gt; element to inline in HTML, with ids unique to this chart and a font fallback list.</summary>
    public string ToSvg() => InlineSvg.From(Render(plot => plot.GetSvgXml(Width, Height)), this);

    public byte[] ToPng()
    {
        using var surface = SKSurface.Create(new SKImageInfo((int)(Width * PngScale), (int)(Height * PngScale)))
            ?? throw new InvalidOperationException($"SkiaSharp could not make a {Width * PngScale}×{Height * PngScale} surface for chart {Id}");
        using var image = Render(plot =>
        {
            plot.ScaleFactor = PngScale;
            plot.Render(surface);
            return surface.Snapshot();
        });
        using var pixels = image.PeekPixels();
        // Encoding, not drawing, is most of a PNG's cost: two cheap filters at a light zlib level write a tall chart
        // four times faster than the default, for a sixth more bytes.
        using var png = pixels.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.Sub | SKPngEncoderFilterFlags.Up, 3))
            ?? throw new InvalidOperationException($"SkiaSharp could not encode chart {Id} as PNG");
        return png.ToArray();
    }

    /// <summary>Adds this chart's marks, axes and legend to an empty plot that already carries the shared style.</summary>
    protected abstract void Draw(Plot plot);

    /// <summary>
    /// ScottPlot formats some numbers with the current culture; a report reads the same wherever it is written. It also keeps
    /// its typefaces in a static Dictionary, which is not safe across threads, so one chart is made and drawn at a time.
    /// </summary>
    private T Render<T>(Func<Plot, T> render)
    {
        lock (OneAtATime)
        {
            var previous = CultureInfo.CurrentCulture;
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            try
            {
                using var plot = new Plot();
                ChartStyle.SetFont(plot);
                Draw(plot);
                ChartStyle.Apply(plot, Title);
                return render(plot);
            }
            finally
            {
                CultureInfo.CurrentCulture = previous;
            }
        }
    }
}
