namespace BasedEval.Core.Storage;

public enum ShardStatus
{
    /// <summary>Known from another shard's plan, not started yet.</summary>
    Pending,
    Running,
    Completed,
    Interrupted,
    Stopped,
    Failed,
}

/// <summary>One sample a shard is to produce.</summary>
public sealed record PlannedKey(string Suite, string ItemId, int Epoch);

/// <summary>
/// One shard of a sharded run: its place, state, and the samples it is to produce. The first shard to start records every
/// shard with its items, so a shard that never started is still named, with its items, by a comparison that lacks it.
/// </summary>
public sealed record ShardRecord(string RunId, int Index, int Count, ShardStatus Status, DateTimeOffset? UpdatedUtc, IReadOnlyList<PlannedKey> Items);
