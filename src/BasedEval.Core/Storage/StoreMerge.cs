using BasedEval.Core.Config;

namespace BasedEval.Core.Storage;

/// <summary>What a merge wrote: runs and samples new to the target store.</summary>
public sealed record MergeOutcome(int Runs, int Samples);

/// <summary>
/// Combines stores that shards wrote on their own into one. Two samples for the same run, suite, item and epoch must be
/// the same answer to the same request; if any two disagree nothing is written, since either could be the wrong one.
/// </summary>
public static class StoreMerge
{
    public static async Task<MergeOutcome> MergeAsync(IReadOnlyList<(string Name, IResultStore Store)> sources, IResultStore into, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(into);
        var runs = new Dictionary<string, RunRecord>(StringComparer.Ordinal);
        var samples = new Dictionary<(string, string, string, int), (string Source, Sample Sample)>();
        var shards = new Dictionary<(string, int), ShardRecord>();
        foreach (var existing in await into.ListRunsAsync(cancellationToken))
        {
            runs[existing.Id] = existing;
            foreach (var s in await into.GetSamplesAsync(existing.Id, cancellationToken))
            {
                samples[(s.RunId, s.Suite, s.ItemId, s.Epoch)] = ("the target store", s);
            }
        }

        var added = new List<Sample>();
        var addedRuns = new List<RunRecord>();
        foreach (var (name, store) in sources)
        {
            foreach (var run in await store.ListRunsAsync(cancellationToken))
            {
                if (!runs.ContainsKey(run.Id))
                {
                    runs[run.Id] = run;
                    addedRuns.Add(run);
                }

                foreach (var s in await store.GetSamplesAsync(run.Id, cancellationToken))
                {
                    var key = (s.RunId, s.Suite, s.ItemId, s.Epoch);
                    if (samples.TryGetValue(key, out var seen))
                    {
                        if (!SameAnswer(seen.Sample, s))
                        {
                            throw new ConfigException(
                                $"{seen.Source} and {name} disagree on item `{s.ItemId}` of suite `{s.Suite}` (epoch {s.Epoch}) in run {s.RunId}: " +
                                $"{Describe(seen.Sample)} against {Describe(s)}",
                                "merge only the shard files of one run, each written once; re-run that item's shard into one file if both were meant to be kept; nothing was written");
                        }

                        continue;
                    }

                    samples[key] = (name, s);
                    added.Add(s);
                }

                foreach (var shard in await store.GetShardsAsync(run.Id, cancellationToken))
                {
                    var key = (shard.RunId, shard.Index);
                    if (!shards.TryGetValue(key, out var known) || (known.Status != ShardStatus.Completed && shard.Status == ShardStatus.Completed))
                    {
                        shards[key] = shard;
                    }
                }
            }
        }

        foreach (var run in addedRuns)
        {
            await into.CreateRunAsync(run, cancellationToken);
        }

        foreach (var batch in added.Chunk(256))
        {
            await into.SaveSamplesAsync(batch, cancellationToken);
        }

        await into.PlanShardsAsync(shards.Values.ToList(), cancellationToken);
        foreach (var shard in shards.Values.Where(s => s.Status != ShardStatus.Pending))
        {
            await into.SetShardStatusAsync(shard.RunId, shard.Index, shard.Status, shard.UpdatedUtc ?? DateTimeOffset.UtcNow, cancellationToken);
        }

        // A run whose shards are all in is complete, whichever file recorded it last.
        foreach (var group in shards.Values.GroupBy(s => s.RunId, StringComparer.Ordinal))
        {
            if (group.Count() == group.First().Count && group.All(s => s.Status == ShardStatus.Completed))
            {
                await into.FinishRunAsync(group.Key, RunStatus.Completed, group.Max(s => s.UpdatedUtc) ?? DateTimeOffset.UtcNow, cancellationToken);
            }
        }

        return new MergeOutcome(addedRuns.Count, added.Count);
    }

    private static bool SameAnswer(Sample a, Sample b) =>
        a.RequestHash == b.RequestHash && a.ResponseText == b.ResponseText && a.ErrorKind == b.ErrorKind && a.Score?.Value == b.Score?.Value;

    private static string Describe(Sample s) =>
        s.Succeeded ? $"answer \"{Shorten(s.ResponseText ?? string.Empty)}\" (request {s.RequestHash[..Math.Min(12, s.RequestHash.Length)]})" : $"error {s.ErrorKind}";

    private static string Shorten(string text) => text.Length <= 60 ? text.ReplaceLineEndings(" ") : text[..57].ReplaceLineEndings(" ") + "…";
}
