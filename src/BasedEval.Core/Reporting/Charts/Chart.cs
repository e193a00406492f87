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
    /// <summary>PNGs are drawn at twice the CSS size so they stay sharp on high-density screens and on paper.</summary>
    public const float PngScale = 2;

    public abstract int Width { get; }

    public abstract int Height { get; }

    /// <summary>The chart as an &lt;svg&gt; element to inline in HTML, with ids unique to this chart and a font fallback list.</summary>
    public string ToSvg()
    {
        using var plot = Plot();
        return InlineSvg.From(Render(() => plot.GetSvgXml(Width, Height)), this);
    }

    public byte[] ToPng()
    {
        using var plot = Plot();
        plot.ScaleFactor = PngScale;
        using var surface = SKSurface.Create(new SKImageInfo((int)(Width * PngScale), (int)(Height * PngScale)))
            ?? throw new InvalidOperationException($"SkiaSharp could not make a {Width * PngScale}×{Height * PngScale} surface for chart {Id}");
        using var image = Render(() =>
        {
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

    private Plot Plot()
    {
        var plot = new Plot();
        Draw(plot);
        ChartStyle.Apply(plot, Title);
        return plot;
    }

    /// <summary>ScottPlot formats some numbers with the current culture; a report reads the same wherever it is written.</summary>
    private static T Render<T>(Func<T> render)
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            return render();
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }
}
