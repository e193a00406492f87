using System.CommandLine;
using BasedEval.Cli.Display;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Running;
using BasedEval.Core.Storage;

namespace BasedEval.Cli.Commands;

internal static class RunCommand
{
    public static Command Create()
    {
        var config = CommandSupport.ConfigOption();
        var target = new Option<string>("--target", "-t") { Description = "Target name from evals.yaml", Required = true };
        var suites = new Option<string[]>("--suite", "-s") { Description = "Suite name(s) from evals.yaml; all when omitted", AllowMultipleArgumentsPerToken = true };
        var limit = new Option<int?>("--limit", "-n") { Description = "Items per suite, a seeded random sample" };
        var resume = new Option<string?>("--resume") { Description = "Continue an interrupted run by id: finished samples are kept, the rest are sent" };
        var shard = CommandSupport.ShardOption();
        var runId = new Option<string?>("--run-id") { Description = "The run's id; a sharded run derives one that every shard agrees on" };
        var command = new Command("run", "Run suites against one target and store every sample") { config, target, suites, limit, resume, shard, runId };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async output =>
        {
            var evalConfig = ConfigLoader.Load(parse.GetValue(config)!);
            await using var store = await CommandSupport.OpenStoreAsync(evalConfig, parse, cancellationToken);
            var evaluation = new Evaluation(evalConfig, store, CommandSupport.Targets(), ConsoleRunObserver.For(output));
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

            var metrics = Core.Metrics.RunMetrics.Of(outcome.RunId, await store.GetSamplesAsync(outcome.RunId, cancellationToken));
            await output.WriteLineAsync(Summary.RunLine(metrics));
            return outcome.Failed > 0 ? ExitCodes.RunError : ExitCodes.Pass;
        }));
        return command;
    }
}
