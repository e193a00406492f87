namespace BasedEval.Core.Storage;

/// <summary>Runs, samples and scores. One implementation per backend; all pass the same contract tests.</summary>
public interface IResultStore : IAsyncDisposable
{
    Task CreateRunAsync(RunRecord run, CancellationToken cancellationToken);

    Task FinishRunAsync(string runId, RunStatus status, DateTimeOffset finishedUtc, CancellationToken cancellationToken);

    /// <summary>Replaces the run's reliability record; written with every batch of samples so that a killed run keeps its counts.</summary>
    Task SaveRunReliabilityAsync(string runId, RunReliability reliability, CancellationToken cancellationToken);

    /// <summary>The run's reliability record, or null for a run stored before the store kept one.</summary>
    Task<RunReliability?> GetRunReliabilityAsync(string runId, CancellationToken cancellationToken);

    Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken);

    Task<IReadOnlyList<RunRecord>> ListRunsAsync(CancellationToken cancellationToken);

    /// <summary>Stores samples and their scores in one transaction; a sample stored again for the same run, suite, item and epoch replaces the earlier one.</summary>
    Task SaveSamplesAsync(IReadOnlyList<Sample> samples, CancellationToken cancellationToken);

    Task<IReadOnlyList<Sample>> GetSamplesAsync(string runId, CancellationToken cancellationToken);

    /// <summary>The newest successful sample of the given target for each of the request hashes, from any run: the response cache.</summary>
    Task<IReadOnlyDictionary<string, Sample>> FindSucceededAsync(string targetKey, IReadOnlyCollection<string> requestHashes, CancellationToken cancellationToken);

    Task SaveComparisonAsync(ComparisonRecord comparison, CancellationToken cancellationToken);

    Task<ComparisonRecord?> GetComparisonAsync(string comparisonId, CancellationToken cancellationToken);

    /// <summary>Records the shards of a sharded run that are not recorded yet, as given; shards already recorded keep their state.</summary>
    Task PlanShardsAsync(IReadOnlyList<ShardRecord> shards, CancellationToken cancellationToken);

    Task SetShardStatusAsync(string runId, int index, ShardStatus status, DateTimeOffset updatedUtc, CancellationToken cancellationToken);

    /// <summary>The run's shards by index; empty for a run that was not sharded.</summary>
    Task<IReadOnlyList<ShardRecord>> GetShardsAsync(string runId, CancellationToken cancellationToken);

    /// <summary>The release source's record and models, or null for a source never listed into this store.</summary>
    Task<WatchedSource?> GetWatchedSourceAsync(string source, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: records the source as listed at <paramref name="listedUtc"/> (keeping when it was first listed)
    /// and stores the given models, replacing their earlier records; models not given keep theirs.
    /// </summary>
    Task SaveWatchedAsync(string source, DateTimeOffset listedUtc, IReadOnlyList<WatchedModel> models, CancellationToken cancellationToken);
}
