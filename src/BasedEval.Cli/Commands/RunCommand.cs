using System.CommandLine;
using System.Globalization;
using BasedEval.Cli.Display;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Metrics;
using BasedEval.Core.Reporting;
using BasedEval.Core.Running;
using BasedEval.Core.Storage;

namespace BasedEval.Cli.Commands;

internal static class RunCommand
{
    private const string MinimumAccuracyGate = "min_accuracy";

    public static Command Create()
    {
        var config = CommandSupport.ConfigOption();
        var target = new Option<string>("--target", "-t") { Description = "Target name from evals.yaml", Required = true };
        var suites = new Option<string[]>("--suite", "-s") { Description = "Suite name(s) from evals.yaml; all when omitted", AllowMultipleArgumentsPerToken = true };
        var limit = new Option<int?>("--limit", "-n") { Description = "Items per suite, a seeded random sample" };
        var resume = new Option<string?>("--resume") { Description = "Continue an interrupted run by id: finished samples are kept, the rest are sent" };
        var shard = CommandSupport.ShardOption();
        var noCache = CommandSupport.NoCacheOption();
        var runId = new Option<string?>("--run-id") { Description = "The run's id; a sharded run derives one that every shard agrees on" };
        var minAccuracy = new Option<string?>("--min-accuracy")
        {
            Description = "Gate the run without a baseline: PASS (exit 0) when the accuracy's 95% interval is at or above this proportion (0.7 or 70%), FAIL (exit 1) when wholly below, INCONCLUSIVE (exit 3) otherwise; writes junit.xml",
        };
        var command = new Command("run", "Run suites against one target and store every sample") { config, target, suites, limit, resume, shard, runId, noCache, minAccuracy };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async output =>
        {
            var evalConfig = ConfigLoader.Load(parse.GetValue(config)!);
            // Read before anything is sent, so a misread minimum costs nothing.
            var minimum = parse.GetValue(minAccuracy) is { } text ? Quantities.Proportion(text, "--min-accuracy", CommandSupport.OptionError) : (double?)null;
            await using var store = await CommandSupport.OpenStoreAsync(evalConfig, parse, cancellationToken);
            var evaluation = new Evaluation(evalConfig, store, CommandSupport.Targets(), ConsoleRunObserver.For(output)) { BypassCache = parse.GetValue(noCache) };
            var outcome = await evaluation.RunAsync(
                new RunRequest(parse.GetValue(target)!, parse.GetValue(suites) ?? [], parse.GetValue(limit), parse.GetValue(resume), CommandSupport.Shard(parse, shard), parse.GetValue(runId)),
                cancellationToken);
            await output.WriteLineAsync($"run {outcome.RunId}: {outcome.Succeeded} succeeded, {outcome.Failed} failed, {outcome.FromCache} from cache, {outcome.Retries} retries");
            if (outcome.Status == RunStatus.Interrupted)
            {
                throw new RunInterruptedException(outcome.RunId, parse.GetValue(target)!);
            }

            if (outcome.Status == RunStatus.Stopped)
            {
                throw new RunStoppedException(outcome.RunId, parse.GetValue(target)!, outcome.StopReason ?? "a protection stopped the run");
            }

            var samples = await store.GetSamplesAsync(outcome.RunId, cancellationToken);
            var metrics = RunMetrics.Of(outcome.RunId, samples);
            await output.WriteLineAsync(Summary.RunLine(metrics));
            var exitCode = outcome.Failed > 0 ? ExitCodes.RunError : ExitCodes.Pass;
            if (minimum is { } floor)
            {
                var gate = Gates.MinimumAccuracy(MinimumAccuracyGate, metrics.Quality, floor, RunMetrics.DefaultConfidence);
                exitCode = outcome.Failed > 0 ? ExitCodes.RunError : ExitCodes.For(gate.Decision);
                var junit = Path.Combine(evalConfig.ReportsDirectory, outcome.RunId, "junit.xml");
                await ReportSet.WriteFileAsync(junit, stream => JUnitReportWriter.WriteSuiteAsync(GateSuite(outcome, parse.GetValue(target)!, evalConfig, gate, exitCode, samples), stream));
                await output.WriteLineAsync($"gate {gate.Name}: {ReportFormat.Decision(gate.Decision)} (exit {exitCode})");
                await output.WriteLineAsync($"  {gate.Reason}");
                await output.WriteLineAsync($"wrote {Path.GetRelativePath(Environment.CurrentDirectory, junit)}");
            }

            return exitCode;
        }));
        return command;
    }

    private static JUnitSuite GateSuite(RunOutcome outcome, string target, EvalConfig config, GateResult gate, int exitCode, IReadOnlyList<Sample> samples) => new(
        $"basedeval.run.{outcome.RunId}",
        DateTimeOffset.UtcNow,
        [
            ("run_id", outcome.RunId), ("target", target), ("verdict", ReportFormat.Decision(gate.Decision)), ("exit_code", exitCode.ToString(CultureInfo.InvariantCulture)),
            ("config_hash", config.ConfigHash), ("tool_version", Evaluation.ToolVersion),
        ],
        [gate],
        outcome.Failed,
        samples.Where(s => !s.Succeeded).GroupBy(s => s.ErrorKind ?? "unknown", StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal));
}
