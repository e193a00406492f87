using BasedEval.Core.Gating;
using BasedEval.Core.Metrics;

namespace BasedEval.Core.Reporting.Charts;

/// <summary>
/// Every chart of a comparison, built in one place from the stored document, so report.html, summary.md and the PDF
/// show the same charts: inline SVG in the page, PNG files beside the summary and inside the PDF.
/// </summary>
public sealed record ComparisonCharts(Chart QualityVsCost, Chart Suites, Chart? Slices, IReadOnlyList<Chart> Latency)
{
    public IEnumerable<Chart> All => new[] { QualityVsCost, Suites }.Concat(Slices is null ? [] : [Slices]).Concat(Latency);

    public static ComparisonCharts Of(ComparisonResult c) => new(QualityAgainstCost(c), SuiteDifferences(c), SliceDifferences(c), LatencyDistributions(c));

    private static ScatterChart QualityAgainstCost(ComparisonResult c) => new(
        "chart-quality-cost",
        "Quality against cost",
        $"Accuracy with its {ReportFormat.Confidence(c.Paired.Confidence)} Wilson interval against cost per 1,000 requests. Baseline {c.Baseline.Target}: {ReportFormat.Percent(c.Paired.BaselineAccuracy)} at {ReportFormat.Usd(c.Cost.Baseline.Per1000ItemsUsd)}. Candidate {c.Candidate.Target}: {ReportFormat.Percent(c.Paired.CandidateAccuracy)} at {ReportFormat.Usd(c.Cost.Candidate.Per1000ItemsUsd)}.",
        "cost per 1,000 requests (USD)",
        new AxisUnit("$"),
        "accuracy on paired items",
        new AxisUnit(Suffix: "%"),
        [
            new ScatterPoint($"{c.Baseline.Target} (baseline)", c.Cost.Baseline.Per1000ItemsUsd, c.Paired.BaselineAccuracy * 100, c.Paired.BaselineInterval.Lower * 100, c.Paired.BaselineInterval.Upper * 100, Palette.Baseline),
            new ScatterPoint($"{c.Candidate.Target} (candidate)", c.Cost.Candidate.Per1000ItemsUsd, c.Paired.CandidateAccuracy * 100, c.Paired.CandidateInterval.Lower * 100, c.Paired.CandidateInterval.Upper * 100, Palette.Candidate),
        ]);

    private static IntervalBarChart SuiteDifferences(ComparisonResult c)
    {
        var (threshold, thresholdLabel) = QualityThreshold(c);
        return new IntervalBarChart(
            "chart-suites",
            "Accuracy difference by suite",
            "Candidate minus baseline accuracy in points per suite, with its interval. " + string.Join(" ", c.Suites.Select(s => $"{s.Suite}: {ReportFormat.Points(s.Paired.DifferencePoints)} points [{ReportFormat.Points(s.Paired.DifferenceIntervalPoints.Lower)}, {ReportFormat.Points(s.Paired.DifferenceIntervalPoints.Upper)}].")),
            "candidate − baseline (accuracy points)",
            AxisUnit.None,
            c.Suites.Select(s => new IntervalBar(s.Suite, s.Paired.DifferencePoints, s.Paired.DifferenceIntervalPoints.Lower, s.Paired.DifferenceIntervalPoints.Upper, s.Paired.McNemarExactP < 0.05)).ToList(),
            "McNemar p < 0.05",
            threshold,
            thresholdLabel);
    }

    /// <summary>Slices worst first; none when the suites have no slice tags.</summary>
    private static IntervalBarChart? SliceDifferences(ComparisonResult c)
    {
        if (c.Slices.Count == 0)
        {
            return null;
        }

        var (threshold, thresholdLabel) = QualityThreshold(c);
        var multipleSuites = c.Slices.Select(s => s.Suite).Distinct(StringComparer.Ordinal).Count() > 1;
        var ordered = OrderedSlices(c);
        var significant = ordered.Where(s => s.HolmAdjustedP < 0.05).ToList();
        return new IntervalBarChart(
            "chart-slices",
            "Accuracy difference by slice",
            $"Candidate minus baseline accuracy in points for {ordered.Count} slices, worst first, with 95% intervals. {significant.Count} differ significantly after Holm adjustment ({significant.Count(s => s.Regression)} of them regressions)"
                + (significant.Count > 0 ? ": " + string.Join(", ", significant.Select(s => $"{s.Slice} {ReportFormat.Points(s.DifferencePoints)}")) : "") + ".",
            "candidate − baseline (accuracy points)",
            AxisUnit.None,
            ordered.Select(s => new IntervalBar(
                multipleSuites ? $"{s.Suite} / {s.Slice}" : s.Slice,
                s.DifferencePoints,
                s.DifferenceIntervalPoints?.Lower ?? double.NaN,
                s.DifferenceIntervalPoints?.Upper ?? double.NaN,
                s.HolmAdjustedP < 0.05)).ToList(),
            "Holm-adjusted p < 0.05",
            threshold,
            thresholdLabel);
    }

    private static List<CdfChart> LatencyDistributions(ComparisonResult c) =>
        new[] { (c.Latency.Ttft, "Time to first token"), (c.Latency.Tpot, "Time per output token"), (c.Latency.E2e, "End-to-end latency") }.Select(m =>
        {
            var (metric, name) = m;
            var quantiles = metric.Quantiles ?? new LatencyQuantiles([], []);
            return new CdfChart(
                "chart-" + metric.Metric,
                $"{name} (CDF)",
                $"Cumulative distribution of {name.ToLowerInvariant()} in milliseconds. Baseline {c.Baseline.Target}: p50 {ReportFormat.Milliseconds(metric.Baseline.P50)}, p95 {ReportFormat.Milliseconds(metric.Baseline.P95)}. Candidate {c.Candidate.Target}: p50 {ReportFormat.Milliseconds(metric.Candidate.P50)}, p95 {ReportFormat.Milliseconds(metric.Candidate.P95)}.",
                $"{metric.Metric.ToUpperInvariant()} (ms)",
                AxisUnit.None,
                [new CdfSeries(c.Baseline.Target, Palette.Baseline, quantiles.Baseline), new CdfSeries(c.Candidate.Target, Palette.Candidate, quantiles.Candidate, Dashed: true)]);
        }).ToList();

    /// <summary>Worst difference first, slices with no difference last, ties by name.</summary>
    private static List<SliceComparison> OrderedSlices(ComparisonResult c) =>
        c.Slices.OrderBy(s => double.IsNaN(s.DifferencePoints) ? double.MaxValue : s.DifferencePoints).ThenBy(s => s.Slice, StringComparer.Ordinal).ToList();

    private static (double? Threshold, string? Label) QualityThreshold(ComparisonResult c) =>
        c.Gates.FirstOrDefault(g => g.Kind == "quality") is { } gate ? (gate.Threshold, $"gate threshold {ReportFormat.Points(gate.Threshold)} pts") : (null, null);
}
