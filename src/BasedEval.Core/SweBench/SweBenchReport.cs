using BasedEval.Core.Statistics;

namespace BasedEval.Core.SweBench;

/// <summary>
/// Resolved instances out of those evaluated, with a Wilson interval. Errors count as not resolved, and are also counted apart.
/// <see cref="CostUsd"/> is what generating every evaluated patch cost, and <see cref="CostPerResolvedUsd"/> that over the resolved
/// ones; both are null unless every prediction carries its cost, because a partial sum would flatter the model.
/// </summary>
public sealed record ResolvedRate(int Resolved, int Total, int PatchFailed, int Errors, double Rate, Interval Interval, double? CostUsd = null, double? CostPerResolvedUsd = null);

/// <summary>The resolved rate of one prediction set overall and per repository.</summary>
public sealed record SweBenchReport(ResolvedRate Overall, IReadOnlyDictionary<string, ResolvedRate> ByRepository)
{
    /// <param name="costs">Generation cost per instance id (from the stored samples, carried in the predictions), where known.</param>
    public static SweBenchReport From(
        IReadOnlyList<SweBenchInstance> instances, IReadOnlyList<SweBenchEvaluation> evaluations, IReadOnlyDictionary<string, double>? costs = null, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(evaluations);
        var repoOf = instances.ToDictionary(i => i.InstanceId, i => i.Repo, StringComparer.Ordinal);
        var byRepository = evaluations
            .GroupBy(e => repoOf.TryGetValue(e.InstanceId, out var repo) ? repo : throw new ArgumentException($"{e.InstanceId} is not among the instances.", nameof(evaluations)), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Rate([.. g], costs, confidence), StringComparer.Ordinal);
        return new SweBenchReport(Rate(evaluations, costs, confidence), byRepository);
    }

    private static ResolvedRate Rate(IReadOnlyList<SweBenchEvaluation> evaluations, IReadOnlyDictionary<string, double>? costs, double confidence)
    {
        var resolved = evaluations.Count(e => e.Resolved);
        double? cost = costs is not null && evaluations.Count > 0 && evaluations.All(e => costs.ContainsKey(e.InstanceId))
            ? evaluations.Sum(e => costs[e.InstanceId])
            : null;
        return new ResolvedRate(
            resolved, evaluations.Count,
            evaluations.Count(e => e.Outcome == SweBenchOutcome.PatchFailed), evaluations.Count(e => e.Outcome == SweBenchOutcome.Error),
            evaluations.Count == 0 ? double.NaN : (double)resolved / evaluations.Count, Proportion.Wilson(resolved, evaluations.Count, confidence),
            cost, resolved > 0 ? cost / resolved : null);
    }
}

/// <summary>Two prediction sets on the same instances: the paired analysis and the instances that flipped either way.</summary>
public sealed record SweBenchComparison(PairedBinarySummary Paired, IReadOnlyList<string> OnlyBaselineResolved, IReadOnlyList<string> OnlyCandidateResolved)
{
    /// <summary>Pairs by instance id; both sets must cover the same instances, or the comparison would not be paired.</summary>
    public static SweBenchComparison From(IReadOnlyList<SweBenchInstanceResult> baseline, IReadOnlyList<SweBenchInstanceResult> candidate, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        var other = candidate.ToDictionary(r => r.InstanceId, r => r.Outcome == SweBenchOutcome.Resolved, StringComparer.Ordinal);
        if (other.Count != baseline.Count || baseline.Any(r => !other.ContainsKey(r.InstanceId)))
        {
            throw new ArgumentException("The two prediction sets must be evaluated on the same instances.", nameof(candidate));
        }

        var ordered = baseline.OrderBy(r => r.InstanceId, StringComparer.Ordinal).Select(r => (r.InstanceId, Baseline: r.Outcome == SweBenchOutcome.Resolved)).ToList();
        var paired = PairedBinary.Analyze([.. ordered.Select(r => r.Baseline)], [.. ordered.Select(r => other[r.InstanceId])], confidence);
        return new SweBenchComparison(
            paired,
            [.. ordered.Where(r => r.Baseline && !other[r.InstanceId]).Select(r => r.InstanceId)],
            [.. ordered.Where(r => !r.Baseline && other[r.InstanceId]).Select(r => r.InstanceId)]);
    }
}
