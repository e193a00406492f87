using System.Globalization;
using System.Security.Cryptography;
using BasedEval.Core.Config;
using BasedEval.Core.Running;
using BasedEval.Core.Storage;
using BasedEval.Core.Targets;
using BasedEval.Core.Workload.Load;

namespace BasedEval.Core.Workload;

/// <summary>
/// One replay's result. <see cref="RecordedRequestsPerSecond"/> is the rate production sent the replayed requests at,
/// from their recorded times (null for untimed workloads): the volume a cost projection scales to.
/// </summary>
public sealed record ReplayOutcome(string RunId, RunStatus Status, LoadRun Load, LoadMetrics Metrics, double CostUsd, double? RecordedRequestsPerSecond);

/// <summary>
/// Replays a workload against one target under a load model and stores every request as a sample of one run:
/// suite <c>workload:&lt;name&gt;</c>, item id the request's id (custom_id, log id or index), the recorded answer as the
/// reference, and the slice <c>warmup</c> on requests left out of the metrics.
/// </summary>
public sealed class WorkloadReplay(EvalConfig config, IResultStore store, TargetFactory targets)
{
    public const string WarmupSlice = "warmup";

    private const int WriteBatch = 256;

    public static string SuiteName(WorkloadConfig workload)
    {
        ArgumentNullException.ThrowIfNull(workload);
        return $"workload:{workload.Name}";
    }

    public async Task<ReplayOutcome> RunAsync(TargetConfig targetConfig, WorkloadConfig workload, LoadModel model, LoadBounds bounds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targetConfig);
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(bounds);
        var source = await WorkloadSources.OpenAsync(workload, cancellationToken);
        // One connection per request that may be in flight: a request queued inside the client's pool would wait
        // where neither the send lag nor the latency sees it.
        var connections = model is ClosedLoad closed ? closed.Concurrency : bounds.MaxInFlight;
        var target = targets.Create(targetConfig with { MaxConcurrency = Math.Max(targetConfig.MaxConcurrency, connections) });
        var suite = SuiteName(workload);
        var runId = NewRunId(targetConfig.Name);
        var run = new RunRecord(
            runId, DateTimeOffset.UtcNow, null, RunStatus.Running, targetConfig.Name, target.Identity.Key, target.Identity.Provider, target.Identity.Model,
            target.Identity.Endpoint, [suite], config.ConfigHash, Evaluation.ToolVersion, Evaluation.GitCommit(Path.GetDirectoryName(Path.GetFullPath(config.SourcePath))!),
            targetConfig.Prices, config.Seed, (int)Math.Min(int.MaxValue, bounds.MaxRequests ?? 0));
        var metrics = new LoadMetricsBuilder(config.Slos ?? SloConfig.None, config.Seed);
        var batch = new List<Sample>(WriteBatch);
        double cost = 0;
        long recorded = 0;
        var lastArrival = TimeSpan.Zero;
        LoadRun load;

        // The connections close before the summary, where a million-request replay's memory peaks: one per request
        // in flight, with their buffers, are of no use to it.
        await using (target)
        {
            await store.CreateRunAsync(run, CancellationToken.None);
            load = await new LoadGenerator(target, bounds, config.Seed).RunAsync(source, model, async outcome =>
            {
                metrics.Add(outcome);
                var sample = ToSample(run, suite, outcome);
                cost += outcome.Warmup ? 0 : sample.CostUsd;
                if (outcome.Request.ArrivalOffset is { } arrival)
                {
                    recorded++;
                    lastArrival = arrival > lastArrival ? arrival : lastArrival;
                }

                batch.Add(sample);
                if (batch.Count >= WriteBatch)
                {
                    await store.SaveSamplesAsync(batch, CancellationToken.None);
                    batch.Clear();
                }
            }, cancellationToken);
        }

        if (batch.Count > 0)
        {
            await store.SaveSamplesAsync(batch, CancellationToken.None);
        }

        var status = cancellationToken.IsCancellationRequested ? RunStatus.Interrupted : RunStatus.Completed;
        await store.FinishRunAsync(runId, status, DateTimeOffset.UtcNow, CancellationToken.None);
        double? recordedRate = recorded > 1 && lastArrival > TimeSpan.Zero ? (recorded - 1) / lastArrival.TotalSeconds : null;
        return new ReplayOutcome(runId, status, load, metrics.Build(model.Describe()), cost, recordedRate);
    }

    private static Sample ToSample(RunRecord run, string suite, RequestOutcome outcome)
    {
        var request = outcome.Request;
        var json = Planner.RequestJson(request.Request);
        IReadOnlyList<string> slices = outcome.Warmup ? [WarmupSlice] : [];
        if (outcome.Response is { } response)
        {
            var usage = response.Usage;
            return new Sample(run.Id, suite, request.Id, 0, Planner.RequestHash(json, 0), json, response.Text, response.FinishReason, usage, response.Timings,
                null, null, 1, false, run.Prices.CostUsd(usage.InputTokens, usage.CachedInputTokens, usage.OutputTokens), outcome.CompletedUtc, null, request.Recorded?.Text, slices);
        }

        var error = outcome.Error!;
        return new Sample(run.Id, suite, request.Id, 0, Planner.RequestHash(json, 0), json, null, null, TokenUsage.None, null,
            error.Kind.ToString(), error.Message, 1, false, 0, outcome.CompletedUtc, null, request.Recorded?.Text, slices);
    }

    private static string NewRunId(string target)
    {
        var safe = new string(target.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '-').ToArray());
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return $"replay-{stamp}-{safe}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
    }
}
