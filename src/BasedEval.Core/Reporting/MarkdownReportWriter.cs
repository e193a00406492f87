using System.Globalization;
using System.Text;
using BasedEval.Core.Gating;
using BasedEval.Core.Reporting.Charts;

namespace BasedEval.Core.Reporting;

/// <summary>
/// summary.md: fit for $GITHUB_STEP_SUMMARY or a pull-request comment. Model text is escaped, never rendered. Its charts are
/// PNG files beside it, linked by relative path, so a comment or summary that uploads the folder shows them.
/// </summary>
public sealed class MarkdownReportWriter : IReportWriter
{
    public string Format => "md";

    public string FileName => "summary.md";

    public async Task WriteAsync(ReportInput input, Stream output, CancellationToken cancellationToken)
    {
        var text = Render(input.Comparison);
        await output.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
    }

    public IReadOnlyList<CompanionFile> Companions(ReportInput input) =>
        ComparisonCharts.Of(input.Comparison).All.Select(chart => new CompanionFile(ImageFile(chart), (stream, cancellationToken) => stream.WriteAsync(chart.ToPng(), cancellationToken).AsTask())).ToList();

    public static string ImageFile(Chart chart) => chart.Id + ".png";

    public static string Render(ComparisonResult c)
    {
        var md = new StringBuilder();
        var b = c.Baseline;
        var k = c.Candidate;
        md.AppendLine(Inv($"## BasedEval verdict: **{Label(c.Verdict)}** — candidate `{Code(k.Target)}` vs baseline `{Code(b.Target)}`"));
        md.AppendLine();
        md.AppendLine(Inv($"Comparison `{Code(c.ComparisonName)}` · id `{c.Id}` · exit code {c.ExitCode} · {c.Paired.Items} paired items"));
        md.AppendLine();
        foreach (var reason in c.Reasons)
        {
            md.AppendLine(Inv($"- {Prose(reason)}"));
        }

        md.AppendLine();
        md.AppendLine("### Gates");
        md.AppendLine();
        md.AppendLine("| Gate | Decision | Estimate | Interval | Threshold | Items needed |");
        md.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var g in c.Gates)
        {
            var unit = g.Kind == "quality" ? " pts" : "×";
            md.AppendLine(Inv($"| {g.Name} | {Label(g.Decision)} | {Num(g.Estimate)}{unit} | [{Num(g.Lower)}, {Num(g.Upper)}] at {g.Confidence * 100:0.#}% | {(g.Kind == "quality" ? "> " : "≤ ")}{Num(g.Threshold)}{unit} | {(g.ItemsNeeded is { } n ? n.ToString(CultureInfo.InvariantCulture) : "—")} |"));
        }

        md.AppendLine();
        md.AppendLine("### Quality");
        md.AppendLine();
        md.AppendLine("| Suite | Items | Baseline (micro) | Candidate (micro) | Baseline (macro) | Candidate (macro) | Δ points (interval) | McNemar p |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in c.Suites.Select(s => (Label: Cell(s.Suite), s.Paired, s.Macro)).Append(("**all**", c.Paired, null)))
        {
            var p = s.Paired;
            var macroBase = s.Macro is { } m ? Pct(m.Baseline) : "—";
            var macroCand = s.Macro is { } n ? Pct(n.Candidate) : "—";
            md.AppendLine(Inv($"| {s.Label} | {p.Items} | {Pct(p.BaselineAccuracy)} | {Pct(p.CandidateAccuracy)} | {macroBase} | {macroCand} | {Num(p.DifferencePoints)} [{Num(p.DifferenceIntervalPoints.Lower)}, {Num(p.DifferenceIntervalPoints.Upper)}] | {P(p.McNemarExactP)} |"));
        }

        md.AppendLine();
        md.AppendLine("Micro: every item counts once. Macro: the mean of per-subject (first slice) accuracies.");

        md.AppendLine();
        md.AppendLine(Inv($"Discordant pairs: baseline-only correct {c.Paired.BaselineOnlyCorrect}, candidate-only correct {c.Paired.CandidateOnlyCorrect}."));
        var regressions = c.Slices.Where(s => s.Regression).ToList();
        if (regressions.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Slices that regressed (Holm-adjusted p < 0.05):");
            md.AppendLine();
            md.AppendLine("| Suite | Slice | Items | Baseline | Candidate | Holm p |");
            md.AppendLine("|---|---|---:|---:|---:|---:|");
            foreach (var s in regressions.OrderBy(s => s.HolmAdjustedP))
            {
                md.AppendLine(Inv($"| {Cell(s.Suite)} | {Cell(s.Slice)} | {s.Items} | {Pct(s.BaselineAccuracy)} | {Pct(s.CandidateAccuracy)} | {P(s.HolmAdjustedP)} |"));
            }
        }

        md.AppendLine();
        md.AppendLine("### Latency (ms)");
        md.AppendLine();
        md.AppendLine("| Metric | Baseline p50 | p95 | p99 | Candidate p50 | p95 | p99 | Ratio p50 | Ratio p95 |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var m in new[] { c.Latency.Ttft, c.Latency.Tpot, c.Latency.E2e, c.Latency.Itl })
        {
            md.AppendLine(Inv($"| {m.Metric.ToUpperInvariant()} | {Num(m.Baseline.P50)} | {Num(m.Baseline.P95)} | {Num(m.Baseline.P99)} | {Num(m.Candidate.P50)} | {Num(m.Candidate.P95)} | {Num(m.Candidate.P99)} | {Num(m.RatioP50)}× | {Num(m.RatioP95)}× |"));
        }

        md.AppendLine();
        md.AppendLine("### Cost (USD, paired items)");
        md.AppendLine();
        md.AppendLine("| | Per item | Per 1,000 items | Effective $/Mtok | Input tokens | Output tokens |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|");
        md.AppendLine(Inv($"| Baseline `{Code(b.Target)}` | {Usd(c.Cost.Baseline.PerItemUsd)} | {Usd(c.Cost.Baseline.Per1000ItemsUsd)} | {Usd(c.Cost.Baseline.EffectiveUsdPerMillionTokens)} | {c.Cost.Baseline.InputTokens} | {c.Cost.Baseline.OutputTokens}{(c.Cost.Baseline.TokensEstimated ? " (estimated)" : "")} |"));
        md.AppendLine(Inv($"| Candidate `{Code(k.Target)}` | {Usd(c.Cost.Candidate.PerItemUsd)} | {Usd(c.Cost.Candidate.Per1000ItemsUsd)} | {Usd(c.Cost.Candidate.EffectiveUsdPerMillionTokens)} | {c.Cost.Candidate.InputTokens} | {c.Cost.Candidate.OutputTokens}{(c.Cost.Candidate.TokensEstimated ? " (estimated)" : "")} |"));
        md.AppendLine();
        md.AppendLine(Inv($"Cost ratio per 1,000 items: {Num(c.Cost.RatioPer1000Items)}× [{Num(c.Cost.RatioInterval.Lower)}, {Num(c.Cost.RatioInterval.Upper)}]."));
        WorkloadCosts(md, c);

        if (c.Errors.BaselineFailed + c.Errors.CandidateFailed + c.Errors.Unpaired > 0)
        {
            md.AppendLine();
            md.AppendLine("### Errors");
            md.AppendLine();
            md.AppendLine(Inv($"Failed after retries: baseline {c.Errors.BaselineFailed}, candidate {c.Errors.CandidateFailed}; unpaired items: {c.Errors.Unpaired}."));
            foreach (var (kind, count) in c.Errors.ByKind.OrderByDescending(e => e.Value))
            {
                md.AppendLine(Inv($"- {Cell(kind)}: {count}"));
            }
        }

        var flips = c.Flips.Where(f => f.Direction == "baseline_only_correct").Take(10).ToList();
        if (flips.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("### Top regressions (baseline right, candidate wrong)");
            md.AppendLine();
            md.AppendLine("| Suite | Item | Reference | Baseline | Candidate |");
            md.AppendLine("|---|---|---|---|---|");
            foreach (var f in flips)
            {
                md.AppendLine(Inv($"| {Cell(f.Suite)} | {Cell(f.ItemId)} | {Cell(f.Reference ?? "")} | {Cell(f.BaselineAnswer ?? "—")} | {Cell(f.CandidateAnswer ?? "—")} |"));
            }
        }

        md.AppendLine();
        md.AppendLine("### Charts");
        foreach (var chart in ComparisonCharts.Of(c).All)
        {
            md.AppendLine();
            md.AppendLine(Inv($"![{Cell(chart.Title)}]({ImageFile(chart)})"));
        }

        md.AppendLine();
        md.AppendLine(Inv($"<sub>basedeval {Cell(c.ToolVersion)} · config {c.ConfigHash[..Math.Min(12, c.ConfigHash.Length)]} · runs {b.RunId} / {k.RunId}</sub>"));
        return md.ToString();
    }

    /// <summary>The recorded workloads in each model's own tokens: the same traffic is a different bill under each vocabulary.</summary>
    private static void WorkloadCosts(StringBuilder md, ComparisonResult c)
    {
        if (c.WorkloadCosts.Count == 0)
        {
            return;
        }

        md.AppendLine();
        md.AppendLine("### Workload cost in each model's tokens");
        md.AppendLine();
        md.AppendLine("| Workload | Model | Tokenizer | Input tokens | Output tokens | $/month |");
        md.AppendLine("|---|---|---|---:|---:|---:|");
        foreach (var w in c.WorkloadCosts)
        {
            foreach (var p in new[] { w.Baseline, w.Candidate })
            {
                md.AppendLine(Inv($"| `{Code(w.Workload)}` | `{Code(p.Target)}` | {p.Tokenizer}{(p.Estimated ? " (estimated)" : "")} | {p.InputTokens} | {p.OutputTokens} | {(p.MonthlyUsd is { } usd ? Usd(usd) : "—")} |"));
            }
        }
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Label(Decision decision) => decision switch
    {
        Decision.Pass => "PASS",
        Decision.Fail => "FAIL",
        _ => "INCONCLUSIVE",
    };

    private static string Num(double value) => double.IsFinite(value) ? value.ToString("0.###", CultureInfo.InvariantCulture) : "—";

    private static string Pct(double value) => double.IsFinite(value) ? (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "—";

    private static string P(double value) => double.IsFinite(value) ? (value < 0.0001 ? "<0.0001" : value.ToString("0.####", CultureInfo.InvariantCulture)) : "—";

    private static string Usd(double value) => double.IsFinite(value) ? "$" + value.ToString(value < 0.01 ? "0.######" : "0.####", CultureInfo.InvariantCulture) : "—";

    /// <summary>Text from a model or a data file inside a table cell: no markup, no HTML, no line breaks, bounded length.</summary>
    public static string Cell(string text) => Escape(text, 120);

    /// <summary>A sentence of the verdict: escaped like a cell, but whole, since a reason cut short says nothing.</summary>
    private static string Prose(string text) => Escape(text, int.MaxValue);

    private static string Escape(string text, int maxLength)
    {
        var oneLine = text.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        if (oneLine.Length > maxLength)
        {
            oneLine = oneLine[..maxLength] + "…";
        }

        var escaped = new StringBuilder(oneLine.Length + 8);
        foreach (var ch in oneLine)
        {
            switch (ch)
            {
                case '<':
                    escaped.Append("&lt;");
                    break;
                case '>':
                    escaped.Append("&gt;");
                    break;
                case '&':
                    escaped.Append("&amp;");
                    break;
                case '|' or '\\' or '`' or '*' or '_' or '[' or ']' or '#' or '!':
                    escaped.Append('\\').Append(ch);
                    break;
                default:
                    escaped.Append(ch);
                    break;
            }
        }

        return escaped.ToString();
    }

    private static string Code(string text) => text.Replace("`", "'", StringComparison.Ordinal);
}
