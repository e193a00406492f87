using System.Globalization;
using System.Text;
using BasedEval.Core.Gating;
using BasedEval.Core.Metrics;

namespace BasedEval.Cli.Display;

/// <summary>The terminal's account of a result: per gate the estimate, interval, threshold, decision and items needed.</summary>
internal static class Summary
{
    /// <summary>One run's figures; a run in which nothing succeeded says so rather than printing NaN for every figure.</summary>
    public static string RunLine(RunMetrics m) => m.Quality.Scored == 0
        ? string.Create(CultureInfo.InvariantCulture, $"no successful samples: {m.Failed} of {m.Samples} failed, so accuracy, latency and cost cannot be measured")
        : string.Create(CultureInfo.InvariantCulture,
            $"accuracy {m.Quality.Accuracy * 100:0.0}% [{m.Quality.Interval.Lower * 100:0.0}%, {m.Quality.Interval.Upper * 100:0.0}%] over {m.Quality.Scored} items; TTFT p50 {Ms(m.Ttft.P50)} p95 {Ms(m.Ttft.P95)}; E2E p50 {Ms(m.E2e.P50)}; ${m.Cost.Per1000ItemsUsd:0.####} per 1,000 items");

    private static string Ms(double value) => double.IsFinite(value) ? string.Create(CultureInfo.InvariantCulture, $"{value:0.#} ms") : "n/a";

    public static string Comparison(ComparisonResult c)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"{c.Candidate.Target} (candidate) vs {c.Baseline.Target} (baseline): {c.Paired.Items} paired items");
        text.AppendLine(inv, $"  accuracy  baseline {c.Paired.BaselineAccuracy * 100:0.0}%  candidate {c.Paired.CandidateAccuracy * 100:0.0}%  difference {c.Paired.DifferencePoints:+0.##;-0.##;0} points [{c.Paired.DifferenceIntervalPoints.Lower:0.##}, {c.Paired.DifferenceIntervalPoints.Upper:0.##}]  McNemar p {c.Paired.McNemarExactP:0.####}");
        text.AppendLine(inv, $"  discordant  baseline-only right {c.Paired.BaselineOnlyCorrect}  candidate-only right {c.Paired.CandidateOnlyCorrect}");
        text.AppendLine(inv, $"  TTFT p95  {c.Latency.Ttft.Baseline.P95:0.#} ms → {c.Latency.Ttft.Candidate.P95:0.#} ms ({c.Latency.Ttft.RatioP95:0.###}×)   cost per 1,000 items ${c.Cost.Baseline.Per1000ItemsUsd:0.####} → ${c.Cost.Candidate.Per1000ItemsUsd:0.####}");
        foreach (var g in c.Gates)
        {
            var unit = g.Kind == "quality" ? " pts" : "×";
            var needed = g.ItemsNeeded is { } n ? $"; items needed ≈ {n.ToString(inv)}" : string.Empty;
            text.AppendLine(inv, $"  gate {g.Name}: {Word(g.Decision)}  estimate {g.Estimate:0.###}{unit} [{g.Lower:0.###}, {g.Upper:0.###}]  threshold {(g.Kind == "quality" ? ">" : "≤")} {g.Threshold:0.###}{unit}{needed}");
            text.AppendLine(inv, $"    {g.Reason}");
        }

        text.AppendLine(inv, $"verdict: {Word(c.Verdict)} (exit {c.ExitCode})");
        foreach (var reason in c.Reasons.Where(r => !c.Gates.Any(g => g.Reason == r)))
        {
            text.AppendLine(inv, $"  {reason}");
        }

        return text.ToString();
    }

    private static string Word(Decision d) => d switch
    {
        Decision.Pass => "PASS",
        Decision.Fail => "FAIL",
        _ => "INCONCLUSIVE",
    };
}
