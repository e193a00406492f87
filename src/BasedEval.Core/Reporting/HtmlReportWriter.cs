using System.Text;
using BasedEval.Core.Gating;
using BasedEval.Core.Metrics;
using BasedEval.Core.Reporting.Charts;

namespace BasedEval.Core.Reporting;

/// <summary>
/// report.html: the one page a leader decides from. Self-contained (inline CSS and SVG, no script, font or request to the
/// network, and a content security policy that forbids them), so it works from disk, as an e-mail attachment and on paper.
/// Every text from a model, a data file or the configuration is HTML-encoded.
/// </summary>
public sealed class HtmlReportWriter(long monthlyRequests = HtmlReportWriter.DefaultMonthlyRequests) : IReportWriter
{
    public const long DefaultMonthlyRequests = 1_000_000;

    /// <summary>Model responses can be whole chains of thought; beyond this the page shows the start and says how much is left out.</summary>
    private const int MaxResponseChars = 12_000;

    public string Format => "html";

    public string FileName => "report.html";

    public long MonthlyRequests => monthlyRequests;

    public async Task WriteAsync(ReportInput input, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        await writer.WriteAsync(Render(input.Comparison).AsMemory(), cancellationToken);
    }

    /// <summary>The page with its charts as inline SVG, or as embedded PNG images for a printer that rasterizes anyway.</summary>
    public string Render(ComparisonResult c, ChartEmbedding charts = ChartEmbedding.Svg)
    {
        var page = new StringBuilder(64 * 1024);
        var drawn = ComparisonCharts.Of(c);
        string Figure(Chart chart) => charts == ChartEmbedding.Svg ? chart.ToSvg() : PngImage(chart);
        var title = $"{c.Candidate.Target} vs {c.Baseline.Target}: {ReportFormat.Verdict(c.Verdict)}";
        HtmlPage.Open(page, title);
        page.Append("<header><p class=\"eyebrow\">BasedEval comparison · ").Append(Html.Encode(c.ComparisonName)).Append(" · ").Append(ReportFormat.Date(c.CreatedUtc)).Append("</p>\n");
        page.Append("<h1>Can <span class=\"cand\">").Append(Html.Encode(c.Candidate.Target)).Append("</span> replace <span class=\"base\">").Append(Html.Encode(c.Baseline.Target)).Append("</span>?</h1></header>\n");
        Banner(page, c);
        Cards(page, c);
        QualityVsCost(page, c, Figure(drawn.QualityVsCost));
        QualityBreakdown(page, c, Figure(drawn.Suites), drawn.Slices is { } slices ? Figure(slices) : null);
        Latency(page, c, drawn.Latency.Select(Figure).ToList());
        Cost(page, c);
        Errors(page, c);
        Flips(page, c);
        Provenance(page, c);
        HtmlPage.Close(page);
        return page.ToString();
    }

    private static void Banner(StringBuilder page, ComparisonResult c)
    {
        var css = Css(c.Verdict);
        var headline = c.Verdict switch
        {
            Decision.Pass => $"{c.Candidate.Target} can replace {c.Baseline.Target}: every gate passed.",
            Decision.Fail => $"{c.Candidate.Target} should not replace {c.Baseline.Target}: a gate failed.",
            _ => $"The evidence does not yet decide whether {c.Candidate.Target} can replace {c.Baseline.Target}.",
        };
        page.Append("<section class=\"banner ").Append(css).Append("\" aria-label=\"Verdict\">\n<p class=\"verdict\">").Append(ReportFormat.Verdict(c.Verdict)).Append("</p>\n");
        page.Append("<p class=\"headline\">").Append(Html.Encode(headline)).Append("</p>\n<ul class=\"reasons\">\n");
        foreach (var reason in c.Reasons)
        {
            page.Append("<li>").Append(Html.Encode(ReportFormat.Sentence(reason))).Append("</li>\n");
        }

        page.Append("</ul>\n<p class=\"small\">Gate decision ").Append(ReportFormat.Decision(c.Verdict)).Append(", exit code ").Append(c.ExitCode)
            .Append(", on ").Append(ReportFormat.Count(c.Paired.Items)).Append(" items both models answered.</p>\n");
        if (c.Gates.Count > 0)
        {
            page.Append("<table class=\"gates\"><caption>Gates</caption><thead><tr><th scope=\"col\">Gate</th><th scope=\"col\">Decision</th><th scope=\"col\" class=\"num\">Estimate</th><th scope=\"col\" class=\"num\">Interval</th><th scope=\"col\" class=\"num\">Threshold</th><th scope=\"col\" class=\"num\">Items needed</th></tr></thead><tbody>\n");
            foreach (var g in c.Gates)
            {
                var quality = g.Kind == "quality";
                string Value(double v) => quality ? ReportFormat.Points(v) + " pts" : ReportFormat.Ratio(v);
                page.Append("<tr><th scope=\"row\">").Append(Html.Encode(g.Name)).Append("</th><td><span class=\"badge ").Append(Css(g.Decision)).Append("\">").Append(ReportFormat.Decision(g.Decision)).Append("</span></td>")
                    .Append("<td class=\"num\">").Append(Value(g.Estimate)).Append("</td>")
                    .Append("<td class=\"num\">[").Append(Value(g.Lower)).Append(", ").Append(Value(g.Upper)).Append("] at ").Append(ReportFormat.Confidence(g.Confidence)).Append("</td>")
                    .Append("<td class=\"num\">").Append(quality ? "&gt; " : "≤ ").Append(Value(g.Threshold)).Append("</td>")
                    .Append("<td class=\"num\">").Append(g.ItemsNeeded is { } n ? ReportFormat.Count(n) : "—").Append("</td></tr>\n");
            }

            page.Append("</tbody></table>\n");
        }

        page.Append("</section>\n");
    }

    private void Cards(StringBuilder page, ComparisonResult c)
    {
        var p = c.Paired;
        var ttft = c.Latency.Ttft;
        var costGate = c.Gates.FirstOrDefault(g => g.Kind == "cost");
        var baseMonthly = c.Cost.Baseline.PerItemUsd * monthlyRequests;
        var candMonthly = c.Cost.Candidate.PerItemUsd * monthlyRequests;
        var change = candMonthly - baseMonthly;
        page.Append("<section class=\"cards\" aria-label=\"Headline figures\">\n");
        Card(page, GateCss(c, g => g.Kind == "quality"), "Quality difference", ReportFormat.Points(p.DifferencePoints) + " pts",
            $"[{ReportFormat.Points(p.DifferenceIntervalPoints.Lower)}, {ReportFormat.Points(p.DifferenceIntervalPoints.Upper)}] at {ReportFormat.Confidence(p.Confidence)}",
            $"{ReportFormat.Percent(p.BaselineAccuracy)} → {ReportFormat.Percent(p.CandidateAccuracy)} on {ReportFormat.Count(p.Items)} items");
        Card(page, GateCss(c, g => g.Name.StartsWith("latency_ttft_p95", StringComparison.Ordinal)), "p95 time to first token", ReportFormat.Ratio(ttft.RatioP95),
            $"{ReportFormat.Milliseconds(ttft.Baseline.P95)} → {ReportFormat.Milliseconds(ttft.Candidate.P95)}",
            "candidate ÷ baseline; lower is faster");
        Card(page, GateCss(c, g => g.Kind == "cost"), "Cost per 1,000 requests", ReportFormat.Usd(c.Cost.Candidate.Per1000ItemsUsd),
            $"baseline {ReportFormat.Usd(c.Cost.Baseline.Per1000ItemsUsd)}; ratio {ReportFormat.Ratio(c.Cost.RatioPer1000Items)}",
            costGate is null ? "no cost gate" : $"[{ReportFormat.Ratio(costGate.Lower)}, {ReportFormat.Ratio(costGate.Upper)}] at {ReportFormat.Confidence(costGate.Confidence)}");
        Card(page, "neutral", "Monthly projection", ReportFormat.Usd(candMonthly),
            $"baseline {ReportFormat.Usd(baseMonthly)}; {(change <= 0 ? "saves " + ReportFormat.Usd(-change) : "adds " + ReportFormat.Usd(change))} a month",
            $"at {ReportFormat.Count(monthlyRequests)} requests a month like these");
        page.Append("</section>\n");
    }

    private static void Card(StringBuilder page, string css, string label, string value, string detail, string note)
    {
        page.Append("<div class=\"card ").Append(css).Append("\"><p class=\"label\">").Append(Html.Encode(label)).Append("</p><p class=\"value\">").Append(Html.Encode(value))
            .Append("</p><p class=\"detail\">").Append(Html.Encode(detail)).Append("</p><p class=\"note\">").Append(Html.Encode(note)).Append("</p></div>\n");
    }

    private static void QualityVsCost(StringBuilder page, ComparisonResult c, string figure)
    {
        var b = c.Baseline.Metrics.Quality;
        var k = c.Candidate.Metrics.Quality;
        page.Append("<section><h2>Quality against cost</h2>\n<div class=\"split\"><figure>").Append(figure).Append("<figcaption>Up and to the left is better. Whiskers: ")
            .Append(ReportFormat.Confidence(c.Paired.Confidence)).Append(" intervals.</figcaption></figure>\n");
        page.Append("<table><caption>Per model, over all its samples</caption><thead><tr><th scope=\"col\"></th><th scope=\"col\" class=\"num\">Accuracy</th><th scope=\"col\" class=\"num\">Scored</th><th scope=\"col\" class=\"num\">Failed</th><th scope=\"col\" class=\"num\">Output tok/s</th></tr></thead><tbody>\n");
        foreach (var (role, side, q) in new[] { ("baseline", c.Baseline, b), ("candidate", c.Candidate, k) })
        {
            page.Append("<tr><th scope=\"row\" class=\"").Append(role == "baseline" ? "base" : "cand").Append("\">").Append(Html.Encode(side.Target)).Append(" <span class=\"small\">").Append(role).Append("</span></th>")
                .Append("<td class=\"num\">").Append(ReportFormat.Percent(q.Accuracy)).Append(" <span class=\"small\">[").Append(ReportFormat.Percent(q.Interval.Lower)).Append(", ").Append(ReportFormat.Percent(q.Interval.Upper)).Append("]</span></td>")
                .Append("<td class=\"num\">").Append(ReportFormat.Count(q.Scored)).Append("</td><td class=\"num\">").Append(ReportFormat.Count(side.Metrics.Failed)).Append("</td>")
                .Append("<td class=\"num\">").Append(side.Metrics.OutputTokensPerSecond.ToString("#,##0.#", System.Globalization.CultureInfo.InvariantCulture)).Append("</td></tr>\n");
        }

        page.Append("</tbody></table></div>\n");
        page.Append("<p>Paired items: both right ").Append(ReportFormat.Count(c.Paired.BothCorrect)).Append(", only the baseline right ").Append(ReportFormat.Count(c.Paired.BaselineOnlyCorrect))
            .Append(", only the candidate right ").Append(ReportFormat.Count(c.Paired.CandidateOnlyCorrect)).Append(", both wrong ").Append(ReportFormat.Count(c.Paired.BothWrong))
            .Append("; McNemar exact p = ").Append(ReportFormat.PValue(c.Paired.McNemarExactP)).Append(".</p></section>\n");
    }

    private static void QualityBreakdown(StringBuilder page, ComparisonResult c, string suitesFigure, string? slicesFigure)
    {
        page.Append("<section><h2>Quality by suite and slice</h2>\n");
        page.Append("<figure>").Append(suitesFigure).Append("<figcaption>Bars: the difference in accuracy points; whiskers: its ").Append(ReportFormat.Confidence(c.Paired.Confidence)).Append(" interval.</figcaption></figure>\n");
        page.Append("<table><caption>Accuracy by suite: micro (every item counts once) and macro (the mean of per-subject accuracies)</caption>")
            .Append("<thead><tr><th scope=\"col\">Suite</th><th scope=\"col\">Items</th><th scope=\"col\">Baseline micro</th><th scope=\"col\">Candidate micro</th><th scope=\"col\">Baseline macro</th><th scope=\"col\">Candidate macro</th></tr></thead><tbody>");
        foreach (var suite in c.Suites)
        {
            page.Append("<tr><td>").Append(Html.Encode(suite.Suite)).Append("</td><td>").Append(ReportFormat.Count(suite.Paired.Items))
                .Append("</td><td>").Append(ReportFormat.Percent(suite.Paired.BaselineAccuracy)).Append("</td><td>").Append(ReportFormat.Percent(suite.Paired.CandidateAccuracy))
                .Append("</td><td>").Append(suite.Macro is { } m ? ReportFormat.Percent(m.Baseline) : "n/a").Append("</td><td>").Append(suite.Macro is { } n ? ReportFormat.Percent(n.Candidate) : "n/a")
                .Append("</td></tr>");
        }

        page.Append("</tbody></table>\n");

        if (slicesFigure is not null)
        {
            var regressions = c.Slices.Count(s => s.HolmAdjustedP < 0.05 && s.Regression);
            page.Append("<figure>").Append(slicesFigure).Append("<figcaption>Worst first. Whiskers: unadjusted 95% intervals; * marks a difference that survives Holm's adjustment across all ")
                .Append(ReportFormat.Count(c.Slices.Count)).Append(" slices. ").Append(ReportFormat.Count(regressions)).Append(" significant regressions.</figcaption></figure>\n");
        }

        page.Append("</section>\n");
    }

    private static void Latency(StringBuilder page, ComparisonResult c, IReadOnlyList<string> figures)
    {
        page.Append("<section><h2>Latency</h2>\n<div class=\"grid3\">\n");
        foreach (var figure in figures)
        {
            page.Append("<figure>").Append(figure).Append("<figcaption>The share of requests at or below each latency, up to p99.</figcaption></figure>\n");
        }

        page.Append("</div>\n<table><caption>Latency percentiles (ms) on paired items</caption><thead><tr><th scope=\"col\">Measure</th><th scope=\"col\" class=\"num\">Baseline p50</th><th scope=\"col\" class=\"num\">p95</th><th scope=\"col\" class=\"num\">p99</th><th scope=\"col\" class=\"num\">Candidate p50</th><th scope=\"col\" class=\"num\">p95</th><th scope=\"col\" class=\"num\">p99</th><th scope=\"col\" class=\"num\">Ratio p50</th><th scope=\"col\" class=\"num\">Ratio p95</th><th scope=\"col\" class=\"num\">Ratio p99</th></tr></thead><tbody>\n");
        foreach (var m in new[] { c.Latency.Ttft, c.Latency.Tpot, c.Latency.E2e, c.Latency.Itl })
        {
            page.Append("<tr><th scope=\"row\">").Append(Html.Encode(m.Metric.ToUpperInvariant())).Append("</th>");
            foreach (var v in new[] { m.Baseline.P50, m.Baseline.P95, m.Baseline.P99, m.Candidate.P50, m.Candidate.P95, m.Candidate.P99 })
            {
                page.Append("<td class=\"num\">").Append(ReportFormat.Milliseconds(v).Replace(" ms", "", StringComparison.Ordinal)).Append("</td>");
            }

            page.Append("<td class=\"num\">").Append(ReportFormat.Ratio(m.RatioP50)).Append("</td><td class=\"num\">").Append(ReportFormat.Ratio(m.RatioP95)).Append("</td><td class=\"num\">").Append(ReportFormat.Ratio(m.RatioP99)).Append("</td></tr>\n");
        }

        page.Append("</tbody></table></section>\n");
    }

    private void Cost(StringBuilder page, ComparisonResult c)
    {
        page.Append("<section><h2>Cost</h2>\n<table><caption>Cost on the paired items, USD; prices per million tokens</caption><thead><tr><th scope=\"col\">Model</th><th scope=\"col\" class=\"num\">Input price</th><th scope=\"col\" class=\"num\">Cached price</th><th scope=\"col\" class=\"num\">Output price</th><th scope=\"col\" class=\"num\">Input tokens</th><th scope=\"col\" class=\"num\">Output tokens</th><th scope=\"col\" class=\"num\">Total</th><th scope=\"col\" class=\"num\">Per 1,000 requests</th><th scope=\"col\" class=\"num\">Per month</th></tr></thead><tbody>\n");
        foreach (var (side, cost, css) in new[] { (c.Baseline, c.Cost.Baseline, "base"), (c.Candidate, c.Cost.Candidate, "cand") })
        {
            page.Append("<tr><th scope=\"row\" class=\"").Append(css).Append("\">").Append(Html.Encode(side.Target)).Append("</th>")
                .Append("<td class=\"num\">").Append(ReportFormat.Usd(side.Prices.Input)).Append("</td><td class=\"num\">").Append(ReportFormat.Usd(side.Prices.CachedInput)).Append("</td><td class=\"num\">").Append(ReportFormat.Usd(side.Prices.Output)).Append("</td>")
                .Append("<td class=\"num\">").Append(ReportFormat.Count(cost.InputTokens)).Append(cost.TokensEstimated ? "*" : "").Append("</td><td class=\"num\">").Append(ReportFormat.Count(cost.OutputTokens)).Append(cost.TokensEstimated ? "*" : "").Append("</td>")
                .Append("<td class=\"num\">").Append(ReportFormat.Usd(cost.TotalUsd)).Append("</td><td class=\"num\">").Append(ReportFormat.Usd(cost.Per1000ItemsUsd)).Append("</td><td class=\"num\">").Append(ReportFormat.Usd(cost.PerItemUsd * monthlyRequests)).Append("</td></tr>\n");
        }

        page.Append("</tbody></table>\n<p>Candidate ÷ baseline per 1,000 requests: <strong>").Append(ReportFormat.Ratio(c.Cost.RatioPer1000Items)).Append("</strong> [")
            .Append(ReportFormat.Ratio(c.Cost.RatioInterval.Lower)).Append(", ").Append(ReportFormat.Ratio(c.Cost.RatioInterval.Upper)).Append("]. Monthly figures assume ")
            .Append(ReportFormat.Count(monthlyRequests)).Append(" requests a month shaped like these items.");
        if (c.Cost.Baseline.TokensEstimated || c.Cost.Candidate.TokensEstimated)
        {
            page.Append(" * The server reported no usage and no tokenizer is known for the model; these token counts are estimated.");
        }

        page.Append("</p>\n");
        WorkloadCosts(page, c);
        page.Append("</section>\n");
    }

    private static void WorkloadCosts(StringBuilder page, ComparisonResult c)
    {
        if (c.WorkloadCosts.Count == 0)
        {
            return;
        }

        page.Append("<table><caption>Recorded workloads in each model's own tokens, before any call</caption><thead><tr><th scope=\"col\">Workload</th><th scope=\"col\">Model</th><th scope=\"col\">Tokenizer</th><th scope=\"col\" class=\"num\">Input tokens</th><th scope=\"col\" class=\"num\">Output tokens</th><th scope=\"col\" class=\"num\">Per month</th></tr></thead><tbody>\n");
        foreach (var w in c.WorkloadCosts)
        {
            foreach (var (p, css) in new[] { (w.Baseline, "base"), (w.Candidate, "cand") })
            {
                page.Append("<tr><td>").Append(Html.Encode(w.Workload)).Append("</td><th scope=\"row\" class=\"").Append(css).Append("\">").Append(Html.Encode(p.Target)).Append("</th><td>")
                    .Append(Html.Encode(p.Tokenizer + (p.Estimated ? " (estimated)" : string.Empty))).Append("</td><td class=\"num\">").Append(ReportFormat.Count(p.InputTokens))
                    .Append("</td><td class=\"num\">").Append(ReportFormat.Count(p.OutputTokens)).Append("</td><td class=\"num\">").Append(p.MonthlyUsd is { } usd ? ReportFormat.Usd(usd) : "—").Append("</td></tr>\n");
            }
        }

        page.Append("</tbody></table>\n");
    }

    private static void Errors(StringBuilder page, ComparisonResult c)
    {
        var e = c.Errors;
        if (e.BaselineFailed + e.CandidateFailed + e.Unpaired == 0)
        {
            return;
        }

        page.Append("<section><h2>Errors</h2>\n<p>Failed after all retries: baseline ").Append(ReportFormat.Count(e.BaselineFailed)).Append(", candidate ").Append(ReportFormat.Count(e.CandidateFailed))
            .Append("; items only one model answered: ").Append(ReportFormat.Count(e.Unpaired)).Append(". None of them enter the statistics above.</p>\n<ul>\n");
        foreach (var (kind, count) in e.ByKind.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal))
        {
            page.Append("<li><code>").Append(Html.Encode(kind)).Append("</code>: ").Append(ReportFormat.Count(count)).Append("</li>\n");
        }

        page.Append("</ul></section>\n");
    }

    private static void Flips(StringBuilder page, ComparisonResult c)
    {
        page.Append("<section class=\"flips\"><h2>Items that flipped</h2>\n");
        foreach (var (direction, heading, total) in new[]
        {
            ("baseline_only_correct", "Regressions: the baseline was right, the candidate wrong", c.Paired.BaselineOnlyCorrect),
            ("candidate_only_correct", "Improvements: the candidate was right, the baseline wrong", c.Paired.CandidateOnlyCorrect),
        })
        {
            var flips = c.Flips.Where(f => f.Direction == direction).ToList();
            page.Append("<h3>").Append(heading).Append(" (").Append(ReportFormat.Count(total)).Append(" items").Append(flips.Count < total ? $", the first {ReportFormat.Count(flips.Count)} shown" : "").Append(")</h3>\n");
            if (flips.Count == 0)
            {
                page.Append("<p class=\"small\">None.</p>\n");
            }

            foreach (var f in flips)
            {
                page.Append("<article class=\"flip\"><p class=\"flip-head\"><code>").Append(Html.Encode(f.Suite)).Append(" / ").Append(Html.Encode(f.ItemId)).Append("</code> · reference <strong>").Append(Html.Encode(f.Reference ?? "—"))
                    .Append("</strong> · baseline answered <strong>").Append(Html.Encode(f.BaselineAnswer ?? "nothing")).Append("</strong> · candidate answered <strong>").Append(Html.Encode(f.CandidateAnswer ?? "nothing")).Append("</strong></p>\n<div class=\"pair\">");
                Response(page, $"Baseline {c.Baseline.Target}", "base", f.BaselineResponse);
                Response(page, $"Candidate {c.Candidate.Target}", "cand", f.CandidateResponse);
                page.Append("</div></article>\n");
            }
        }

        page.Append("</section>\n");
    }

    private static void Response(StringBuilder page, string who, string css, string? text)
    {
        text ??= string.Empty;
        var shown = text.Length > MaxResponseChars ? text[..MaxResponseChars] : text;
        page.Append("<div><p class=\"who ").Append(css).Append("\">").Append(Html.Encode(who)).Append("</p><pre>").Append(Html.Encode(shown)).Append("</pre>");
        if (shown.Length < text.Length)
        {
            page.Append("<p class=\"small\">… the first ").Append(ReportFormat.Count(shown.Length)).Append(" of ").Append(ReportFormat.Count(text.Length)).Append(" characters; the whole response is in the store.</p>");
        }

        page.Append("</div>");
    }

    private static void Provenance(StringBuilder page, ComparisonResult c)
    {
        page.Append("<section class=\"provenance\"><h2>Provenance</h2>\n<dl>\n");
        Term(page, "Comparison", $"{c.ComparisonName} ({c.Id})");
        Term(page, "Created", ReportFormat.Date(c.CreatedUtc));
        Term(page, "Tool", $"basedeval {c.ToolVersion}; document {c.Schema} v{c.SchemaVersion}");
        Term(page, "Config hash", c.ConfigHash);
        foreach (var (role, side) in new[] { ("Baseline", c.Baseline), ("Candidate", c.Candidate) })
        {
            Term(page, role, $"{side.Target}: {side.Provider} model {side.Model} at {side.Endpoint}; run {side.RunId}; git commit {side.GitCommit ?? "unknown"}");
            Term(page, role + " prices", $"{ReportFormat.Usd(side.Prices.Input)} input, {ReportFormat.Usd(side.Prices.CachedInput)} cached input, {ReportFormat.Usd(side.Prices.Output)} output per million tokens");
            Term(page, role + " samples", $"{ReportFormat.Count(side.Metrics.Samples)} samples, {ReportFormat.Count(side.Metrics.Succeeded)} succeeded, {ReportFormat.Count(side.Metrics.FromCache)} from the response cache");
        }

        page.Append("</dl></section>\n");
    }

    /// <summary>A chart as a PNG in a data URL, which the page's content security policy allows and nothing else.</summary>
    private static string PngImage(Chart chart) =>
        $"<img class=\"chart\" id=\"{Html.Encode(chart.Id)}\" width=\"{chart.Width}\" height=\"{chart.Height}\" alt=\"{Html.Encode(chart.Title + ". " + chart.Description)}\" src=\"data:image/png;base64,{Convert.ToBase64String(chart.ToPng())}\">";

    private static void Term(StringBuilder page, string term, string definition) =>
        page.Append("<dt>").Append(Html.Encode(term)).Append("</dt><dd>").Append(Html.Encode(definition)).Append("</dd>\n");

    /// <summary>A card takes the colour of the gate that judges its figure, and stays neutral when no gate does.</summary>
    private static string GateCss(ComparisonResult c, Func<GateResult, bool> judges)
    {
        var gates = c.Gates.Where(judges).ToList();
        return gates.Count == 0 ? "neutral" : Css(Verdicts.Combine(gates));
    }

    private static string Css(Decision decision) => decision switch
    {
        Decision.Pass => "pass",
        Decision.Fail => "fail",
        _ => "inconclusive",
    };
}

/// <summary>How report.html carries its charts.</summary>
public enum ChartEmbedding
{
    Svg,
    Png,
}
