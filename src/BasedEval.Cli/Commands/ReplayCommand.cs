using System.CommandLine;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Storage;
using BasedEval.Core.Targets;
using BasedEval.Core.Workload;
using BasedEval.Core.Workload.Load;

namespace BasedEval.Cli.Commands;

/// <summary>
/// `basedeval replay`: sends a workload to one target under a load model, stores every request as a sample, prints the
/// latency, throughput, goodput and cost table, and judges answers against the baseline's when the workload has a judge.
/// Exit 0 when the SLOs were met (or none are set), 1 when they were missed, 4 when interrupted.
/// </summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var config = CommandSupport.ConfigOption();
        var target = WorkloadCommandSupport.TargetOption();
        var workload = WorkloadCommandSupport.WorkloadOption();
        var timeScale = new Option<double?>("--time-scale") { Description = "Trace replay speed (2 sends twice as fast); default the workload's time_scale" };
        var concurrency = new Option<int?>("--concurrency") { Description = "Closed load: keep this many requests in flight instead of replaying the recorded times" };
        var rate = new Option<double?>("--rate") { Description = "Open load: send this many requests per second on average instead of the recorded times" };
        var cv = new Option<double>("--cv") { Description = "Open load burstiness: coefficient of variation of the gaps (1 is Poisson)", DefaultValueFactory = _ => 1 };
        var duration = WorkloadCommandSupport.DurationOption("Stop sending after this many seconds");
        var requests = WorkloadCommandSupport.RequestsOption();
        var warmup = WorkloadCommandSupport.WarmupOption(0);
        var warmupRequests = WorkloadCommandSupport.WarmupRequestsOption();
        var maxInFlight = WorkloadCommandSupport.MaxInFlightOption();
        var dryRun = WorkloadCommandSupport.DryRunOption();
        var baselineRun = new Option<string?>("--baseline-run") { Description = "Judge against this stored replay's answers (a baseline re-generated on the same workload) instead of the recorded ones" };
        var command = new Command("replay", "Replay a workload against one target under a load model; latency, goodput, cost and quality against the baseline")
        {
            config, target, workload, timeScale, concurrency, rate, cv, duration, requests, warmup, warmupRequests, maxInFlight, baselineRun, dryRun,
        };
        command.SetAction((parse, cancellationToken) => WorkloadCommandSupport.GuardAsync(parse, async output =>
        {
            var evalConfig = ConfigLoader.Load(parse.GetValue(config)!);
            var (targetConfig, workloadConfig) = WorkloadCommandSupport.Resolve(evalConfig, parse.GetValue(target)!, parse.GetValue(workload)!);
            if (parse.GetValue(dryRun))
            {
                return await WorkloadCommandSupport.DryRunAsync(output, evalConfig, targetConfig, workloadConfig, cancellationToken);
            }

            var model = Model(workloadConfig, parse.GetValue(concurrency), parse.GetValue(rate), parse.GetValue(cv), parse.GetValue(timeScale));
            var bounds = WorkloadCommandSupport.Bounds(parse.GetValue(duration), parse.GetValue(requests), parse.GetValue(warmup), parse.GetValue(warmupRequests), parse.GetValue(maxInFlight), targetConfig);
            var slos = evalConfig.Slos ?? SloConfig.None;
            var factory = CommandSupport.Targets();

            await using var store = await CommandSupport.OpenStoreAsync(evalConfig, parse, cancellationToken);
            var replay = await new WorkloadReplay(evalConfig, store, factory).RunAsync(targetConfig, workloadConfig, model, bounds, cancellationToken);
            await output.WriteAsync(WorkloadDisplay.Metrics(replay, slos));
            var monthly = CostProjection.MonthlyVolume(workloadConfig, replay.RecordedRequestsPerSecond);
            var cost = targetConfig.Gpu is { } gpu && replay.Metrics.MeetsSlos
                ? CostProjection.ForGpu(gpu, replay.Metrics, monthly)
                : CostProjection.ForApi(targetConfig.Prices, replay.Metrics, replay.CostUsd, monthly);
            await output.WriteAsync(WorkloadDisplay.Cost(cost));
            if (replay.Status == RunStatus.Interrupted)
            {
                throw new OperationCanceledException();
            }

            if (workloadConfig.Judge is { } judge)
            {
                await output.WriteAsync(WorkloadDisplay.Review(await ReviewAsync(evalConfig, store, factory, judge, replay, parse.GetValue(baselineRun), cancellationToken)));
            }

            return slos.IsEmpty || replay.Metrics.MeetsSlos ? ExitCodes.Pass : ExitCodes.Fail;
        }));
        return command;
    }

    private static LoadModel Model(WorkloadConfig workload, int? concurrency, double? rate, double cv, double? timeScale)
    {
        if (concurrency is not null && rate is not null)
        {
            throw new ConfigException("--concurrency and --rate choose different load models", "pass --concurrency for a closed load or --rate for an open one, not both");
        }

        if (concurrency is { } c)
        {
            return c is >= 1 and <= 100_000 ? new ClosedLoad(c) : throw new ConfigException($"--concurrency {c} is out of range", "use 1 to 100000 requests in flight");
        }

        if (rate is { } r)
        {
            return r > 0 && cv > 0 ? new OpenLoad(r, cv) : throw new ConfigException("--rate and --cv must be positive", "pass a rate such as --rate 20 and a CV such as --cv 1 (Poisson)");
        }

        if (!WorkloadSources.IsTimed(workload.Format))
        {
            throw new ConfigException($"workload `{workload.Name}` records no arrival times, so it cannot be replayed at production's pace", "choose a load model: --concurrency N (closed) or --rate R (open)");
        }

        var scale = timeScale ?? workload.TimeScale;
        return scale > 0 ? new TraceLoad(scale) : throw new ConfigException("--time-scale must be positive", "pass a speed-up such as --time-scale 10");
    }

    private static async Task<ReviewSummary> ReviewAsync(EvalConfig config, IResultStore store, TargetFactory factory, JudgeConfig judge, ReplayOutcome replay, string? baselineRun, CancellationToken cancellationToken)
    {
        var slos = config.Slos ?? SloConfig.None;
        var method = judge.Method.ToString().ToLowerInvariant();
        if (judge.Target is null)
        {
            return await new QualityReview(store, slos).RunAsync(replay.RunId, QualityReview.Judge(judge, null, Prices.Free), method, replay.Metrics, 16, baselineRun, cancellationToken);
        }

        var judgeConfig = config.Targets[judge.Target];
        await using var judgeTarget = factory.Create(judgeConfig);
        return await new QualityReview(store, slos).RunAsync(replay.RunId, QualityReview.Judge(judge, judgeTarget, judgeConfig.Prices), method, replay.Metrics, judgeConfig.MaxConcurrency, baselineRun, cancellationToken);
    }
}
