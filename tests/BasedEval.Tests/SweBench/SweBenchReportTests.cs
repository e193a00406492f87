using BasedEval.Core.SweBench;

namespace BasedEval.Tests.SweBench;

public class SweBenchReportTests
{
    private static readonly SweBenchInstance[] Instances =
    [
        Instance("a__x-1", "a/x"), Instance("a__x-2", "a/x"), Instance("b__y-1", "b/y"), Instance("b__y-2", "b/y"),
    ];

    [Fact]
    public void Rates_are_given_overall_and_per_repository_with_intervals()
    {
        var report = SweBenchReport.From(Instances, [
            Evaluation("a__x-1", SweBenchOutcome.Resolved), Evaluation("a__x-2", SweBenchOutcome.PatchFailed),
            Evaluation("b__y-1", SweBenchOutcome.Resolved), Evaluation("b__y-2", SweBenchOutcome.Error)]);

        Assert.Equal((2, 4, 1, 1, 0.5), (report.Overall.Resolved, report.Overall.Total, report.Overall.PatchFailed, report.Overall.Errors, report.Overall.Rate));
        Assert.True(report.Overall.Interval.Lower < 0.5 && report.Overall.Interval.Upper > 0.5);
        Assert.Equal(["a/x", "b/y"], report.ByRepository.Keys);
        Assert.Equal(1, report.ByRepository["b/y"].Resolved);
    }

    [Fact]
    public void Cost_per_resolved_instance_divides_the_whole_spend_by_the_resolved_and_needs_every_cost()
    {
        SweBenchEvaluation[] evaluations = [
            Evaluation("a__x-1", SweBenchOutcome.Resolved), Evaluation("a__x-2", SweBenchOutcome.Unresolved),
            Evaluation("b__y-1", SweBenchOutcome.Resolved), Evaluation("b__y-2", SweBenchOutcome.PatchFailed)];
        var costs = new Dictionary<string, double> { ["a__x-1"] = 0.25, ["a__x-2"] = 0.5, ["b__y-1"] = 0.125, ["b__y-2"] = 0.125 };

        var report = SweBenchReport.From(Instances, evaluations, costs);
        var partial = SweBenchReport.From(Instances, evaluations, costs.Where(c => c.Key != "b__y-2").ToDictionary());

        Assert.Equal((1.0, 0.5), (report.Overall.CostUsd, report.Overall.CostPerResolvedUsd));
        Assert.Equal((0.75, 0.75), (report.ByRepository["a/x"].CostUsd, report.ByRepository["a/x"].CostPerResolvedUsd));
        Assert.Null(partial.Overall.CostUsd);
        Assert.Equal(0.75, partial.ByRepository["a/x"].CostUsd);
        Assert.Null(SweBenchReport.From(Instances, [Evaluation("a__x-2", SweBenchOutcome.Unresolved)], costs).Overall.CostPerResolvedUsd);
    }

    [Fact]
    public void A_paired_comparison_names_the_instances_that_flipped()
    {
        SweBenchInstanceResult[] baseline = [Row("a__x-1", SweBenchOutcome.Resolved), Row("a__x-2", SweBenchOutcome.Unresolved), Row("b__y-1", SweBenchOutcome.Resolved)];
        SweBenchInstanceResult[] candidate = [Row("b__y-1", SweBenchOutcome.Resolved), Row("a__x-2", SweBenchOutcome.Resolved), Row("a__x-1", SweBenchOutcome.PatchFailed)];

        var comparison = SweBenchComparison.From(baseline, candidate);

        Assert.Equal(["a__x-1"], comparison.OnlyBaselineResolved);
        Assert.Equal(["a__x-2"], comparison.OnlyCandidateResolved);
        Assert.Equal((1, 1, 1), (comparison.Paired.BothCorrect, comparison.Paired.BaselineOnly, comparison.Paired.CandidateOnly));
        Assert.Throws<ArgumentException>(() => SweBenchComparison.From(baseline, candidate[..2]));
    }

    private static SweBenchInstanceResult Row(string id, SweBenchOutcome outcome) => new(id, "a/x", outcome, string.Empty, 0, 0, 0, 0, 0, null);

    private static SweBenchInstance Instance(string id, string repo) =>
        new(id, repo, "abc", string.Empty, string.Empty, string.Empty, string.Empty, "1.0", [], [], "abc", string.Empty);

    private static SweBenchEvaluation Evaluation(string id, SweBenchOutcome outcome) =>
        new(id, outcome, string.Empty, new Dictionary<string, TestStatus>(), string.Empty, TimeSpan.Zero);
}
