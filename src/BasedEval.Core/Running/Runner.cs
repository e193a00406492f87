using System.Threading.Channels;
using BasedEval.Core.Scoring;
using BasedEval.Core.Storage;
using BasedEval.Core.Targets;

namespace BasedEval.Core.Running;

/// <param name="StopReason">Why a protection (spend cap, unavailable target) stopped the run early; null otherwise.</param>
public sealed record RunOutcome(string RunId, RunStatus Status, int Planned, int Succeeded, int Failed, int FromCache, int Sent, long Retries, string? StopReason = null);

/// <summary>
/// Carries out a plan against one target: the cache first, then the target's protections (spend cap, circuit breaker,
/// adaptive concurrency, request and token pacing), a timeout per attempt, retries with back-off, scoring, and
/// batched writes to the store. Policy lives here once; targets stay thin.
/// </summary>
public sealed class Runner(IResultStore store, IRunObserver observer)
{
    /// <summary>
    /// Small enough that a killed process loses little: the writer commits whatever is waiting as soon as the previous
    /// commit ends, so a scored sample waits at most one commit of at most this many samples.
    /// </summary>
    private const int WriteBatchSize = 64;

    public async Task<RunOutcome> RunAsync(RunPlan plan, ITarget target, RunRecord run, CancellationToken cancellationToken)
    {
        var existing = await store.GetRunAsync(run.Id, CancellationToken.None);
        await store.CreateRunAsync(run with { Status = RunStatus.Running, FinishedUtc = null, CreatedUtc = existing?.CreatedUtc ?? run.CreatedUtc }, CancellationToken.None);

        if (plan.Shard is { } shard)
        {
            await store.PlanShardsAsync(plan.ShardRecords(), CancellationToken.None);
            await store.SetShardStatusAsync(run.Id, shard.Index, ShardStatus.Running, DateTimeOffset.UtcNow, CancellationToken.None);
        }

        // Resuming keeps what this run already has; anything else this target answered before comes from the cache.
        // Of a sharded run, only this shard's part counts: other shards' samples are theirs to finish.
        var mine = plan.Mine;
        var mineKeys = mine.Select(p => (p.Suite, p.Item.Id, p.Epoch)).ToHashSet();
        var stored = existing is null ? [] : (await store.GetSamplesAsync(run.Id, CancellationToken.None)).Where(s => mineKeys.Contains((s.Suite, s.ItemId, s.Epoch))).ToList();
        var earlier = (existing is null ? null : await store.GetRunReliabilityAsync(run.Id, CancellationToken.None)) ?? RunReliability.Empty;
        var alreadyDone = stored.Where(s => s.Succeeded).Select(s => (s.Suite, s.ItemId, s.Epoch)).ToHashSet();
        var todo = mine.Where(p => !alreadyDone.Contains((p.Suite, p.Item.Id, p.Epoch))).ToList();
        IReadOnlyDictionary<string, Sample> cache = plan.BypassCache
            ? new Dictionary<string, Sample>(StringComparer.Ordinal)
            : await store.FindSucceededAsync(target.Identity.Key, todo.Select(p => p.RequestHash).ToHashSet(StringComparer.Ordinal), CancellationToken.None);

        var counters = new RunCounters { TargetName = target.Name, Planned = mine.Count };
        for (var i = 0; i < alreadyDone.Count; i++)
        {
            counters.Completed(failed: false, cached: true, 0);
        }

        // The spend cap is per run, so what earlier sessions of a resumed run spent counts against it.
        counters.AddSpent(stored.Where(s => !s.FromCache).Sum(s => s.CostUsd));

        using var guard = new TargetGuard(plan.Target, counters, TimeProvider.System, cancellationToken);
        observer.RunStarted(counters);
        var channel = Channel.CreateUnbounded<Sample>(new UnboundedChannelOptions { SingleReader = true });
        RunReliability Reliability() => counters.Reliability(earlier, guard.LowestConcurrency, guard.BreakerOpenings, guard.StopReason);
        var writer = Task.Run(() => WriteAsync(channel.Reader, run.Id, Reliability), CancellationToken.None);
        var retryPolicy = RetryPolicy.For(plan.Target.MaxRetries);
        var jitter = new Random(plan.Seed);
        var sent = 0;
        var status = RunStatus.Completed;
        try
        {
            EnsureThreadsFor(plan.Target.MaxConcurrency);
            var options = new ParallelOptions { MaxDegreeOfParallelism = plan.Target.MaxConcurrency, CancellationToken = guard.Stopping };
            await Parallel.ForEachAsync(todo, options, async (planned, token) =>
            {
                Sample? sample;
                if (cache.TryGetValue(planned.RequestHash, out var cached))
                {
                    sample = Reuse(cached, planned, run);
                }
                else
                {
                    Interlocked.Increment(ref sent);
                    sample = await ExecuteAsync(planned, target, run, plan.Target.Timeout, retryPolicy, jitter, counters, guard, cancellationToken);
                }

                // A sample cut short by a stop is not stored: it was never answered, and resuming sends it.
                if (sample is not null)
                {
                    counters.Completed(!sample.Succeeded, sample.FromCache, sample.CostUsd);
                    await channel.Writer.WriteAsync(sample, CancellationToken.None);
                    guard.CheckBudget();
                }
            });
        }
        catch (OperationCanceledException) when (guard.Stopping.IsCancellationRequested)
        {
            status = cancellationToken.IsCancellationRequested ? RunStatus.Interrupted : RunStatus.Stopped;
        }
        finally
        {
            channel.Writer.Complete();
            await writer;
            observer.RunFinished(counters);
        }

        await store.SaveRunReliabilityAsync(run.Id, Reliability(), CancellationToken.None);
        await FinishAsync(plan, run.Id, status);
        var failed = (int)counters.Failed;
        return new RunOutcome(run.Id, status, mine.Count, (int)counters.Done - failed, failed, (int)counters.Cached, sent, counters.Retries, guard.StopReason);
    }

    /// <summary>
    /// A sharded run is complete when every shard is: until then its record says Running, whichever shard ends, unless
    /// one ended early. Shards that end together may each see the other unfinished; their shard records stay exact.
    /// </summary>
    private async Task FinishAsync(RunPlan plan, string runId, RunStatus status)
    {
        if (plan.Shard is { } shard)
        {
            var now = DateTimeOffset.UtcNow;
            await store.SetShardStatusAsync(runId, shard.Index, Enum.Parse<ShardStatus>(status.ToString()), now, CancellationToken.None);
            var shards = await store.GetShardsAsync(runId, CancellationToken.None);
            if (status == RunStatus.Completed && shards.Any(s => s.Status != ShardStatus.Completed))
            {
                return;
            }
        }

        await store.FinishRunAsync(runId, status, DateTimeOffset.UtcNow, CancellationToken.None);
    }

    /// <summary>The sample after all attempts, or null when the run was stopped before it was answered.</summary>
    private async Task<Sample?> ExecuteAsync(
        PlannedSample planned, ITarget target, RunRecord run, TimeSpan timeout, RetryPolicy policy, Random jitter, RunCounters counters, TargetGuard guard, CancellationToken cancellationToken)
    {
        var attempts = 0;
        var protocolFailures = 0;
        while (true)
        {
            TargetGuard.Admission admission;
            try
            {
                admission = await guard.AdmitAsync(planned);
            }
            catch (OperationCanceledException) when (guard.Stopping.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            attempts++;
            counters.Attempted();
            TargetException failure;
            using (var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attemptTimeout.CancelAfter(timeout);
                try
                {
                    var response = await target.SendAsync(planned.Request, attemptTimeout.Token);
                    guard.Succeeded(admission, response);
                    return Scored(planned, run, response, attempts, fromCache: false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = new TargetException(TargetErrorKind.Timeout, $"{target.Name}: no complete answer within {timeout.TotalSeconds:0.###} s");
                }
                catch (TargetException e)
                {
                    failure = e;
                }
                catch (OperationCanceledException)
                {
                    guard.Abandon(admission);
                    throw;
                }
            }

            guard.Failed(admission, failure);
            protocolFailures += failure.Kind == TargetErrorKind.Protocol ? 1 : 0;
            if (!policy.ShouldRetry(failure, attempts, protocolFailures))
            {
                counters.GaveUp(failure.Kind);
                return Failed(planned, run, failure, attempts);
            }

            var delay = policy.DelayBefore(attempts, failure, jitter);
            counters.Retried(failure.Kind);
            observer.RetryScheduled(target.Name, planned.Item.Id, attempts, failure.Message, delay);
            try
            {
                await Task.Delay(delay, guard.Stopping);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// The thread pool adds threads slowly (about two a second) once its minimum is in use. A run that starts with many
    /// streams in flight would otherwise queue their first chunks behind each other and report the client's queueing as
    /// the server's time to first token, worst on few cores.
    /// </summary>
    private static void EnsureThreadsFor(int concurrency)
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        var wanted = Math.Min(concurrency + Environment.ProcessorCount, 512);
        if (workers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, Math.Max(completionPorts, wanted));
        }
    }

    private async Task WriteAsync(ChannelReader<Sample> reader, string runId, Func<RunReliability> reliability)
    {
        var batch = new List<Sample>(WriteBatchSize);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < WriteBatchSize && reader.TryRead(out var sample))
            {
                batch.Add(sample);
            }

            await store.SaveSamplesAsync(batch, CancellationToken.None);
            await store.SaveRunReliabilityAsync(runId, reliability(), CancellationToken.None);
            batch.Clear();
        }
    }

    private static Sample Scored(PlannedSample planned, RunRecord run, TargetResponse response, int attempts, bool fromCache)
    {
        Score score;
        try
        {
            score = planned.Scorer.Score(planned.Item, response);
        }
#pragma warning disable CA1031 // One scorer bug must not abort thousands of stored samples; it is recorded on the score.
        catch (Exception e)
#pragma warning restore CA1031
        {
            score = new Score(0, null, $"scorer {planned.Scorer.Name} failed: {e.Message}");
        }

        var usage = response.Usage;
        return new Sample(
            run.Id,
            planned.Suite,
            planned.Item.Id,
            planned.Epoch,
            planned.RequestHash,
            planned.RequestJson,
            response.Text,
            response.FinishReason,
            usage,
            response.Timings,
            null,
            null,
            attempts,
            fromCache,
            run.Prices.CostUsd(usage.InputTokens, usage.CachedInputTokens, usage.OutputTokens),
            DateTimeOffset.UtcNow,
            score,
            planned.Item.Reference,
            planned.Item.Slices)
        {
            ToolCalls = response.ToolCalls,
        };
    }

    private static Sample Reuse(Sample cached, PlannedSample planned, RunRecord run) =>
        Scored(planned, run, new TargetResponse(cached.ResponseText ?? string.Empty, cached.FinishReason, cached.Usage, cached.Timings!) { ToolCalls = cached.ToolCalls }, 0, fromCache: true);

    private static Sample Failed(PlannedSample planned, RunRecord run, TargetException failure, int attempts) =>
        new(run.Id, planned.Suite, planned.Item.Id, planned.Epoch, planned.RequestHash, planned.RequestJson, null, null, TokenUsage.None, null,
            failure.Kind.ToString(), failure.Message, attempts, false, 0, DateTimeOffset.UtcNow, null, planned.Item.Reference, planned.Item.Slices);
}
