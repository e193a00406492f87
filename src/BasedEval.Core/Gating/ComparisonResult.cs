using BasedEval.Core.Config;
using BasedEval.Core.Metrics;
using BasedEval.Core.Statistics;
using BasedEval.Core.Storage;
using BasedEval.Core.Workload;

namespace BasedEval.Core.Gating;

/// <summary>
/// The immutable outcome of a comparison: what comparison.json holds (schema `basedeval.comparison`, version 1,
/// documented in docs/comparison-schema.md) and what every report writer reads. Nothing downstream recomputes it.
/// </summary>
public sealed record ComparisonResult(
    string Schema,
    int SchemaVersion,
    string Id,
    DateTimeOffset CreatedUtc,
    string ToolVersion,
    string ComparisonName,
    string ConfigHash,
    Decision Verdict,
    int ExitCode,
    IReadOnlyList<string> Reasons,
    ModelSide Baseline,
    ModelSide Candidate,
    PairedQuality Paired,
    IReadOnlyList<SuiteComparison> Suites,
    IReadOnlyList<SliceComparison> Slices,
    LatencyComparison Latency,
    CostComparison Cost,
    IReadOnlyList<GateResult> Gates,
    RunErrors Errors,
    IReadOnlyList<FlippedItem> Flips)
{
    public const string SchemaName = "basedeval.comparison";
    public const int CurrentSchemaVersion = 1;

    /// <summary>Each workload of evals.yaml counted in each model's own tokens and priced a month; empty where there is none.</summary>
    public IReadOnlyList<WorkloadTokenCosts> WorkloadCosts { get; init; } = [];
}

/// <summary>One recorded workload as the baseline's and the candidate's tokenizers count it, before any call.</summary>
public sealed record WorkloadTokenCosts(string Workload, TokenCostProjection Baseline, TokenCostProjection Candidate);

public sealed record ModelSide(string RunId, string Target, string Provider, string Model, string Endpoint, Prices Prices, string? GitCommit, RunMetrics Metrics);

public sealed record PairedQuality(
    int Items,
    int BothCorrect,
    int BaselineOnlyCorrect,
    int CandidateOnlyCorrect,
    int BothWrong,
    double BaselineAccuracy,
    double CandidateAccuracy,
    Interval BaselineInterval,
    Interval CandidateInterval,
    double DifferencePoints,
    Interval DifferenceIntervalPoints,
    double McNemarExactP,
    double Confidence);

/// <summary>
/// One suite's paired quality. The accuracies in <see cref="Paired"/> are micro averages (every item counts once);
/// <see cref="Macro"/> gives the macro averages, the mean of per-group accuracies where a group is an item's first
/// slice (the MMLU subject, the GPQA domain), as MMLU results are usually quoted.
/// </summary>
public sealed record SuiteComparison(string Suite, PairedQuality Paired)
{
    public MacroAccuracy? Macro { get; init; }
}

/// <summary>Macro-averaged accuracy of each model over a suite's groups.</summary>
public sealed record MacroAccuracy(int Groups, double Baseline, double Candidate);

/// <summary>
/// A slice (an MMLU subject, a GPQA domain) with its regression test; Holm-adjusted across all slices of the comparison.
/// The interval is the unadjusted 95% Newcombe interval of the difference; documents written before it existed read it as null.
/// </summary>
public sealed record SliceComparison(string Suite, string Slice, int Items, double BaselineAccuracy, double CandidateAccuracy, double DifferencePoints, int BaselineOnlyCorrect, int CandidateOnlyCorrect, double McNemarExactP, double HolmAdjustedP, bool Regression, Interval? DifferenceIntervalPoints = null);

/// <summary>Percentiles and ratios of one latency measure; the quantiles let a report draw the whole distribution without the samples.</summary>
public sealed record MetricRatio(string Metric, Distribution Baseline, Distribution Candidate, double RatioP50, double RatioP95, double RatioP99, LatencyQuantiles? Quantiles = null);

/// <summary>
/// The 0th to 100th percentiles (101 values, type 7) of each side's latency in milliseconds: enough for a CDF at a fixed,
/// small size however many samples there were. Empty for a side without values.
/// </summary>
public sealed record LatencyQuantiles(IReadOnlyList<double> Baseline, IReadOnlyList<double> Candidate)
{
    public const int Count = 101;

    public static IReadOnlyList<double> Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return [];
        }

        var sorted = values.ToArray();
        Array.Sort(sorted);
        var quantiles = new double[Count];
        for (var p = 0; p < Count; p++)
        {
            quantiles[p] = Descriptive.PercentileOfSorted(sorted, p);
        }

        return quantiles;
    }
}

public sealed record LatencyComparison(MetricRatio Ttft, MetricRatio Tpot, MetricRatio E2e, MetricRatio Itl);

public sealed record CostComparison(CostSummary Baseline, CostSummary Candidate, double RatioPer1000Items, Interval RatioInterval);

/// <summary>Samples that failed after all retries, and items that only one model answered; none of them enter the paired statistics.</summary>
public sealed record RunErrors(int BaselineFailed, int CandidateFailed, int Unpaired, IReadOnlyDictionary<string, int> ByKind)
{
    /// <summary>The baseline run's attempts, retries and give-ups by cause, and the protections that acted; null for runs stored without one.</summary>
    public RunReliability? BaselineReliability { get; init; }

    public RunReliability? CandidateReliability { get; init; }
}

/// <summary>An item one model got right and the other wrong, with both answers, for the reader to inspect.</summary>
public sealed record FlippedItem(string Suite, string ItemId, string Direction, string? Reference, string? BaselineAnswer, string? CandidateAnswer, string? BaselineResponse, string? CandidateResponse);
