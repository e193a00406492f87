using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Reporting;
using BasedEval.Core.Statistics;

namespace BasedEval.Tests.Reporting;

public class ReportWriterTests
{
    private static readonly Lazy<ReportInput> Input = new(() => SyntheticComparison.Create());

    [Fact]
    public void Html_holds_every_section_in_order_and_no_active_content()
    {
        var html = new HtmlReportWriter().Render(Input.Value.Comparison);

        var order = new[] { "class=\"banner", "class=\"cards\"", "id=\"chart-quality-cost\"", "id=\"chart-suites\"", "id=\"chart-slices\"", "id=\"chart-ttft\"", "id=\"chart-tpot\"", "id=\"chart-e2e\"", "<h2>Cost</h2>", "<h2>Items that flipped</h2>", "<h2>Provenance</h2>" };
        var positions = order.Select(marker => html.IndexOf(marker, StringComparison.Ordinal)).ToList();
        Assert.All(positions.Zip(order), p => Assert.True(p.First >= 0, $"{p.Second} is missing"));
        Assert.Equal(positions.Order().ToList(), positions);
        Assert.Contains("Content-Security-Policy", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html.Replace("src=x", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.Ordinal);
        // Charts clip to rectangles of their own, by fragment; any other url( would reach outside the page.
        Assert.DoesNotMatch("url\\((?!#)", html);
        Assert.Contains("@media print", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_shows_model_text_encoded()
    {
        var html = new HtmlReportWriter().Render(Input.Value.Comparison);

        Assert.Contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&amp; &quot;quotes&quot;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_verdict_banner_says_what_to_do()
    {
        var c = Input.Value.Comparison;
        var html = new HtmlReportWriter().Render(c);
        var expected = c.Verdict switch { Decision.Pass => "SHIP", Decision.Fail => "DO NOT SHIP", _ => "NEED MORE DATA" };
        Assert.Contains($"<p class=\"verdict\">{expected}</p>", html, StringComparison.Ordinal);
        foreach (var reason in c.Reasons)
        {
            Assert.Contains(Html.Encode(ReportFormat.Sentence(reason)), html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Html_is_the_same_in_a_culture_that_writes_decimal_commas()
    {
        var writer = new HtmlReportWriter();
        var invariant = writer.Render(Input.Value.Comparison);
        using var comma = new CommaCulture();
        Assert.Equal(invariant, writer.Render(Input.Value.Comparison));
    }

    [Fact]
    public void Html_projects_monthly_cost_at_the_given_volume()
    {
        var c = Input.Value.Comparison;
        var html = new HtmlReportWriter(2_000_000).Render(c);
        Assert.Contains(ReportFormat.Usd(c.Cost.Candidate.PerItemUsd * 2_000_000), html, StringComparison.Ordinal);
        Assert.Contains("at 2,000,000 requests a month", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JUnit_has_one_case_per_gate_and_failures_carry_the_statistics()
    {
        var input = SyntheticComparison.Create(comparisonName: "swap<&\"\u0001>");
        var c = input.Comparison;
        var doc = XDocument.Parse(await WriteAsync(new JUnitReportWriter(), input));

        var cases = doc.Descendants("testcase").ToList();
        Assert.Equal(c.Gates.Count + 1, cases.Count);
        foreach (var gate in c.Gates)
        {
            var testCase = cases.Single(t => t.Attribute("name")!.Value == gate.Name);
            var failure = testCase.Element("failure");
            var skipped = testCase.Element("skipped");
            Assert.Equal(gate.Decision == Decision.Fail, failure is not null);
            Assert.Equal(gate.Decision == Decision.Inconclusive, skipped is not null);
            var statistics = testCase.Element("system-out")!.Value;
            Assert.Contains("estimate: " + gate.Estimate.ToString("0.####", CultureInfo.InvariantCulture), statistics, StringComparison.Ordinal);
            Assert.Contains("interval: [", statistics, StringComparison.Ordinal);
            if (failure is not null)
            {
                Assert.Equal(gate.Reason, failure.Attribute("message")!.Value);
                Assert.Contains("threshold:", failure.Value, StringComparison.Ordinal);
            }
        }

        var suite = doc.Root!.Element("testsuite")!;
        Assert.Equal("basedeval.swap<&\"\uFFFD>", suite.Attribute("name")!.Value);
        Assert.Equal(c.Gates.Count(g => g.Decision == Decision.Fail).ToString(CultureInfo.InvariantCulture), suite.Attribute("failures")!.Value);
        // The synthetic baseline has one sample that failed after all retries.
        Assert.NotNull(cases.Single(t => t.Attribute("name")!.Value == "samples_answered").Element("error"));
    }

    [Fact]
    public async Task Csv_cells_that_a_spreadsheet_would_run_are_prefixed_and_numbers_stay_numbers()
    {
        var input = SyntheticComparison.Create(hostileItemId: "=HYPERLINK(\"http://x\",\"y\")");
        var samples = await WriteAsync(new SamplesCsvWriter(), input);
        var metrics = await WriteAsync(new MetricsCsvWriter(), input);

        var lines = samples.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(input.Samples.Count + 1, lines.Length);
        Assert.StartsWith("role,run_id,target,suite,item_id,", lines[0], StringComparison.Ordinal);
        Assert.Contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",", samples, StringComparison.Ordinal);
        Assert.DoesNotContain(",=HYPERLINK", samples, StringComparison.Ordinal);

        var c = input.Comparison;
        var overall = metrics.Split('\n').Single(l => l.StartsWith("overall,,all,accuracy_difference_points,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(c.Paired.DifferenceIntervalPoints.Lower, double.Parse(overall[7], CultureInfo.InvariantCulture));
        Assert.StartsWith("-", overall[7], StringComparison.Ordinal);
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("gate,,quality,difference_points,", StringComparison.Ordinal));
        Assert.Equal(c.Slices.Count, metrics.Split('\n').Count(l => l.StartsWith("slice,", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Json_round_trips_through_the_stored_document()
    {
        var c = Input.Value.Comparison;
        var json = await WriteAsync(new JsonReportWriter(), Input.Value);
        var back = JsonSerializer.Deserialize<ComparisonResult>(json, ReportJson.Options)!;

        Assert.Equal(json, JsonSerializer.Serialize(back, ReportJson.Options));
        Assert.Equal(LatencyQuantiles.Count, back.Latency.Ttft.Quantiles!.Baseline.Count);
        Assert.Equal(c.Slices[0].DifferenceIntervalPoints, back.Slices[0].DifferenceIntervalPoints);
    }

    [Fact]
    public void A_document_written_before_quantiles_and_slice_intervals_still_reads()
    {
        ChartTests.RequireFont();
        var json = JsonSerializer.Serialize(Input.Value.Comparison, ReportJson.Options);
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        foreach (var metric in new[] { "ttft", "tpot", "e2e", "itl" })
        {
            node["latency"]![metric]!.AsObject().Remove("quantiles");
        }

        foreach (var slice in node["slices"]!.AsArray())
        {
            slice!.AsObject().Remove("difference_interval_points");
        }

        var old = JsonSerializer.Deserialize<ComparisonResult>(node.ToJsonString(), ReportJson.Options)!;
        Assert.Null(old.Latency.Ttft.Quantiles);
        Assert.Null(old.Slices[0].DifferenceIntervalPoints);
        var html = new HtmlReportWriter().Render(old);
        Assert.Contains("no measurements", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Latency_quantiles_are_the_type_7_percentiles()
    {
        var values = Enumerable.Range(0, 997).Select(i => Math.Sqrt(i * 7919 % 997)).ToList();
        var quantiles = LatencyQuantiles.Of(values);
        Assert.Equal(LatencyQuantiles.Count, quantiles.Count);
        foreach (var p in new[] { 0, 1, 37, 50, 95, 99, 100 })
        {
            Assert.Equal(Descriptive.Percentile(values, p), quantiles[p], 12);
        }

        Assert.Empty(LatencyQuantiles.Of([]));
    }

    [Theory]
    [InlineData("html,md", new[] { "report.html", "summary.md" })]
    [InlineData("csv", new[] { "samples.csv", "metrics.csv" })]
    [InlineData("JSON, junit ,json", new[] { "comparison.json", "junit.xml" })]
    public void Formats_are_chosen_by_name(string formats, string[] files) =>
        Assert.Equal(files, ReportSet.Select([formats]).Writers.Select(w => w.FileName));

    [Fact]
    public void An_unknown_format_is_a_configuration_error_that_lists_the_known_ones()
    {
        var e = Assert.Throws<ConfigException>(() => ReportSet.Select(["html,docx"]));
        Assert.Contains("docx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_summary_bolds_the_overall_row_and_keeps_every_reason_whole()
    {
        var input = SyntheticComparison.Create();
        var longReason = "the candidate " + string.Join(' ', Enumerable.Repeat("regressed on a slice", 12)) + " | and *this* stays literal";
        var comparison = input.Comparison with { Reasons = [.. input.Comparison.Reasons, longReason] };

        var md = MarkdownReportWriter.Render(comparison);

        Assert.Contains("| **all** |", md, StringComparison.Ordinal);
        Assert.DoesNotContain("\\*\\*all", md, StringComparison.Ordinal);
        var reasonLine = md.Split('\n').Single(l => l.StartsWith("- the candidate regressed", StringComparison.Ordinal));
        Assert.True(reasonLine.Length > 200, reasonLine);
        Assert.EndsWith("\\| and \\*this\\* stays literal", reasonLine.TrimEnd('\r'), StringComparison.Ordinal);
    }

    private static async Task<string> WriteAsync(IReportWriter writer, ReportInput input)
    {
        using var stream = new MemoryStream();
        await writer.WriteAsync(input, stream, TestContext.Current.CancellationToken);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
