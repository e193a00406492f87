using BasedEval.Core.Storage;

namespace BasedEval.Core.Gating;

/// <summary>A sharded run some of whose shards have not finished: which, and the samples it still lacks.</summary>
public sealed record IncompleteRun(string RunId, string Target, int ShardCount, IReadOnlyList<int> MissingShards, IReadOnlyList<PlannedKey> MissingItems);

/// <summary>
/// A comparison never decides on the subset of a sharded run that happens to be stored: while a shard is missing the
/// verdict is INCONCLUSIVE, with a gate and a reason that name the missing shards and items.
/// </summary>
public static class ShardCompleteness
{
    private const int ItemsNamed = 10;

    /// <summary>Null when the run is complete or was not sharded.</summary>
    public static IncompleteRun? Check(RunRecord run, IReadOnlyList<ShardRecord> shards, IReadOnlyList<Sample> samples)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(shards);
        var missing = shards.Where(s => s.Status != ShardStatus.Completed).ToList();
        if (missing.Count == 0)
        {
            return null;
        }

        var stored = samples.Where(s => s.Succeeded).Select(s => new PlannedKey(s.Suite, s.ItemId, s.Epoch)).ToHashSet();
        var items = missing.SelectMany(s => s.Items).Where(k => !stored.Contains(k)).ToList();
        return new IncompleteRun(run.Id, run.TargetName, shards[0].Count, missing.Select(s => s.Index).ToList(), items);
    }

    public static ComparisonResult Apply(ComparisonResult result, IReadOnlyList<IncompleteRun> incomplete)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (incomplete.Count == 0)
        {
            return result;
        }

        var reasons = incomplete.Select(Reason).ToList();
        var done = incomplete.Sum(r => r.ShardCount - r.MissingShards.Count);
        var all = incomplete.Sum(r => r.ShardCount);
        var gate = new GateResult("complete", "completeness", Decision.Inconclusive, done / (double)all, done / (double)all, done / (double)all, 1, 1, null, string.Join("; ", reasons));
        return result with
        {
            Verdict = Decision.Inconclusive,
            ExitCode = ExitCodes.Inconclusive,
            Reasons = [.. reasons, .. result.Reasons],
            Gates = [gate, .. result.Gates],
        };
    }

    private static string Reason(IncompleteRun run)
    {
        var named = string.Join(", ", run.MissingItems.Take(ItemsNamed).Select(k => k.Epoch == 0 ? $"{k.Suite}/{k.ItemId}" : $"{k.Suite}/{k.ItemId}#{k.Epoch}"));
        var more = run.MissingItems.Count > ItemsNamed ? $" and {run.MissingItems.Count - ItemsNamed} more" : string.Empty;
        var shards = string.Join(", ", run.MissingShards.Select(i => $"{i}/{run.ShardCount}"));
        return $"run {run.RunId} ({run.Target}) is missing shard{(run.MissingShards.Count == 1 ? "" : "s")} {shards}: {run.MissingItems.Count} planned samples not stored ({named}{more}); " +
            $"finish with `basedeval run --target {run.Target} --run-id {run.RunId} --shard {run.MissingShards[0]}/{run.ShardCount}` (per missing shard) and compare again";
    }
}
