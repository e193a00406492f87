using System.CommandLine;
using System.Globalization;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Workload;

namespace BasedEval.Cli.Commands;

/// <summary>
/// `basedeval bench`: a saturation sweep of one target on a workload, closed-loop concurrency 1, 2, 4, … or open-loop
/// rates, up to the first level that misses the SLOs; prints the table, the knee and the cost at the knee.
/// Exit 0 when some level met the SLOs, 1 when none did, 4 when interrupted.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var config = CommandSupport.ConfigOption();
        var target = WorkloadCommandSupport.TargetOption();
        var workload = WorkloadCommandSupport.WorkloadOption();
        var mode = new Option<string>("--mode") { Description = "closed (concurrency levels) or open (request rates)", DefaultValueFactory = _ => "closed" };
        mode.AcceptOnlyFromAmong("closed", "open");
        var levels = new Option<string?>("--levels") { Description = "Comma-separated load levels: concurrencies, or rates per second; default doublings from 1 to --max-load" };
        var maxLoad = new Option<double>("--max-load") { Description = "Highest level of the default doublings", DefaultValueFactory = _ => 256 };
        var cv = new Option<double>("--cv") { Description = "Open load burstiness: coefficient of variation of the gaps (1 is Poisson)", DefaultValueFactory = _ => 1 };
        var duration = WorkloadCommandSupport.DurationOption("Seconds of sending per level (default 30)");
        var requests = WorkloadCommandSupport.RequestsOption();
        var warmup = WorkloadCommandSupport.WarmupOption(2);
        var warmupRequests = WorkloadCommandSupport.WarmupRequestsOption();
        var maxInFlight = WorkloadCommandSupport.MaxInFlightOption();
        var dryRun = WorkloadCommandSupport.DryRunOption();
        var command = new Command("bench", "Sweep load on one target to find the highest load that meets the SLOs (the knee) and its cost")
        {
            config, target, workload, mode, levels, maxLoad, cv, duration, requests, warmup, warmupRequests, maxInFlight, dryRun,
        };
        command.SetAction((parse, cancellationToken) => WorkloadCommandSupport.GuardAsync(parse, async output =>
        {
            var evalConfig = ConfigLoader.Load(parse.GetValue(config)!);
            var (targetConfig, workloadConfig) = WorkloadCommandSupport.Resolve(evalConfig, parse.GetValue(target)!, parse.GetValue(workload)!);
            if (parse.GetValue(dryRun))
            {
                return await WorkloadCommandSupport.DryRunAsync(output, evalConfig, targetConfig, workloadConfig, cancellationToken);
            }

            var closed = parse.GetValue(mode) == "closed";
            var sweepLevels = Levels(parse.GetValue(levels), parse.GetValue(maxLoad), closed);
            var bounds = WorkloadCommandSupport.Bounds(parse.GetValue(duration) ?? 30, parse.GetValue(requests), parse.GetValue(warmup), parse.GetValue(warmupRequests), parse.GetValue(maxInFlight), targetConfig);
            var slos = evalConfig.Slos ?? SloConfig.None;

            await using var store = await CommandSupport.OpenStoreAsync(evalConfig, parse, cancellationToken);
            var sweep = await new SaturationSweep(new WorkloadReplay(evalConfig, store, CommandSupport.Targets())).RunAsync(
                targetConfig, workloadConfig, closed, sweepLevels, parse.GetValue(cv), bounds,
                level => output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{SaturationSweep.LoadLabel(closed, level.Load)}: run {level.Replay.RunId}, attainment {level.Replay.Metrics.Attainment * 100:0.0}%, {level.Replay.Metrics.GoodputPerSecond:0.###} req/s goodput")),
                cancellationToken);
            await output.WriteAsync(WorkloadDisplay.Sweep(sweep, slos));
            if (sweep.Knee is { } knee)
            {
                var monthly = CostProjection.MonthlyVolume(workloadConfig, knee.Replay.RecordedRequestsPerSecond);
                var cost = targetConfig.Gpu is { } gpu
                    ? CostProjection.ForGpu(gpu, knee.Replay.Metrics, monthly)
                    : CostProjection.ForApi(targetConfig.Prices, knee.Replay.Metrics, knee.Replay.CostUsd, monthly);
                await output.WriteAsync(WorkloadDisplay.Cost(cost));
            }

            cancellationToken.ThrowIfCancellationRequested();
            return sweep.Knee is null ? ExitCodes.Fail : ExitCodes.Pass;
        }));
        return command;
    }

    private static IReadOnlyList<double> Levels(string? text, double maxLoad, bool closed)
    {
        if (text is null)
        {
            return maxLoad >= 1 ? SaturationSweep.Doublings(1, maxLoad) : throw new ConfigException("--max-load must be at least 1", "pass --max-load 64, or list --levels");
        }

        var levels = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var level) || level <= 0 || (closed && level != Math.Floor(level)))
            {
                throw new ConfigException($"--levels holds `{part}`, which is not a {(closed ? "whole number of requests in flight" : "positive rate per second")}", closed ? "list concurrencies such as --levels 1,2,4,8" : "list rates such as --levels 0.5,1,2,4");
            }

            levels.Add(level);
        }

        return levels.Count > 0 ? levels.Order().ToList() : throw new ConfigException("--levels lists no level", "list at least one, such as --levels 1,2,4");
    }
}
