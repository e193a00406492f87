using System.CommandLine;
using BasedEval.Cli.Display;
using BasedEval.Core.Config;
using BasedEval.Core.Running;

namespace BasedEval.Cli.Commands;

internal static class CompareCommand
{
    public static Command Create()
    {
        var config = CommandSupport.ConfigOption();
        var comparison = new Option<string?>("--comparison") { Description = "Comparison name from evals.yaml; needed when it defines several" };
        var baseline = new Option<string?>("--baseline", "-b") { Description = "Baseline target name (with --candidate, instead of a named comparison)" };
        var candidate = new Option<string?>("--candidate", "-k") { Description = "Candidate target name" };
        var limit = new Option<int?>("--limit", "-n") { Description = "Items per suite, a seeded random sample" };
        var baselineRun = new Option<string?>("--baseline-run") { Description = "Compare stored runs instead of running: the baseline run id" };
        var candidateRun = new Option<string?>("--candidate-run") { Description = "The candidate run id" };
        var shard = CommandSupport.ShardOption();
        var noCache = CommandSupport.NoCacheOption();
        var command = new Command("compare", "Run baseline and candidate on the same items, then decide PASS / FAIL / INCONCLUSIVE")
        {
            config, comparison, baseline, candidate, limit, baselineRun, candidateRun, shard, noCache,
        };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async output =>
        {
            var evalConfig = ConfigLoader.Load(parse.GetValue(config)!);
            if (parse.GetValue(baselineRun) is null != parse.GetValue(candidateRun) is null)
            {
                throw new ConfigException("--baseline-run and --candidate-run go together", "give both run ids, or neither to run the models now");
            }

            await using var store = await CommandSupport.OpenStoreAsync(evalConfig, parse, cancellationToken);
            var evaluation = new Evaluation(evalConfig, store, CommandSupport.Targets(), ConsoleRunObserver.For(output)) { BypassCache = parse.GetValue(noCache) };
            var outcome = await evaluation.CompareAsync(
                new CompareRequest(parse.GetValue(comparison), parse.GetValue(baseline), parse.GetValue(candidate), parse.GetValue(limit), parse.GetValue(baselineRun), parse.GetValue(candidateRun), CommandSupport.Shard(parse, shard)),
                cancellationToken);
            await output.WriteAsync(Summary.Comparison(outcome.Result));
            foreach (var file in outcome.ReportFiles)
            {
                await output.WriteLineAsync($"wrote {Path.GetRelativePath(Environment.CurrentDirectory, file)}");
            }

            return outcome.Result.ExitCode;
        }));
        return command;
    }
}
