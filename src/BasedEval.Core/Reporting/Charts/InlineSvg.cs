using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace BasedEval.Core.Reporting.Charts;

/// <summary>
/// Turns the standalone SVG document ScottPlot writes into an element that can sit beside others in one HTML page.
/// </summary>
internal static partial class InlineSvg
{
    public static string From(string document, Chart chart)
    {
        var body = document[(document.IndexOf("<svg", StringComparison.Ordinal) is var open and >= 0 ? open : 0)..];
        body = body[(body.IndexOf('>', StringComparison.Ordinal) + 1)..];
        // Ids are global to a page and the renderer numbers its clip paths from a counter that lives as long as the
        // process: renamed in order of appearance under the chart's id, they cannot collide with another chart's and the
        // same chart writes the same markup every time.
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        body = IdReference().Replace(body, m =>
        {
            var original = m.Groups["id"].Value;
            if (!renamed.TryGetValue(original, out var name))
            {
                name = $"{chart.Id}-{renamed.Count + 1}";
                renamed.Add(original, name);
            }

            return m.Groups["head"].Value + name;
        });
        body = FontFamily().Replace(body, m => $"font-family=\"{Fallbacks(m.Groups["family"].Value)}\"");
        // A tenth of a pixel is finer than any screen or printer shows; the renderer's eight-digit coordinates were a
        // third of the markup.
        body = Attribute().Replace(body, m => m.Groups["head"].Value + LongDecimal().Replace(m.Groups["value"].Value, d => Tenths(d.Value)) + "\"");
        var id = Html.Encode(chart.Id);
        var svg = new StringBuilder(body.Length + 512);
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" class=\"chart\" id=\"{id}\" width=\"{chart.Width}\" height=\"{chart.Height}\" viewBox=\"0 0 {chart.Width} {chart.Height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"{id}-title\">{Html.Encode(chart.Title)}</title>\n<desc id=\"{id}-desc\">{Html.Encode(chart.Description)}</desc>");
        return svg.Append(body.TrimEnd()).Append('\n').ToString();
    }

    private static string Fallbacks(string measured) =>
        string.Join(", ", ChartStyle.Families.Prepend(measured).Distinct(StringComparer.OrdinalIgnoreCase).Select(f => "'" + Html.Encode(f) + "'").Append("sans-serif"));

    private static string Tenths(string number)
    {
        var rounded = Math.Round(double.Parse(number, CultureInfo.InvariantCulture), 1);
        return (rounded == 0 ? 0 : rounded).ToString("0.#", CultureInfo.InvariantCulture);
    }

    /// <summary>An attribute's value; text between tags is never touched, so a number in a label stays as written.</summary>
    [GeneratedRegex("(?<head>\\s[\\w:-]+=\")(?<value>[^\"]*)\"")]
    private static partial Regex Attribute();

    [GeneratedRegex("-?\\d+\\.\\d{2,}")]
    private static partial Regex LongDecimal();

    [GeneratedRegex("(?<head>\\bid=\"|url\\(#|href=\"#)(?<id>[A-Za-z_][\\w.-]*)")]
    private static partial Regex IdReference();

    [GeneratedRegex("font-family=\"(?<family>[^\"]*)\"")]
    private static partial Regex FontFamily();
}
