using System.CommandLine;
using System.Globalization;
using BasedEval.Cli.Display;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Running;
using BasedEval.Core.Storage;
using BasedEval.Core.SweBench;

namespace BasedEval.Cli.Commands;

/// <summary>
/// `basedeval swebench generate`: asks a target of evals.yaml for a patch per instance through the runner (so each answer is a
/// stored sample with timings, usage, cost and the response cache), and writes the predictions `swebench eval` reads.
/// </summary>
internal static class SweBenchGenerateCommand
{
    public static Command Create()
    {
        var config = CommandSupport.ConfigOption();
        var target = new Option<string>("--target", "-t") { Description = "Target name from evals.yaml", Required = true };
        var instances = new Option<string>("--instances") { Description = "SWE-bench instances (the official JSON Lines or JSON array)", Required = true };
        var repos = new Option<string>("--repos") { Description = "Folder of local git repositories named owner__name; files are read at base_commit, nothing is checked out", Required = true };
        var setting = new Option<ContextSetting>("--setting")
        {
            Description = "Oracle: show the files the gold patch changes; Bm25: the repository's Python sources that BM25 ranks highest for the issue",
            DefaultValueFactory = _ => ContextSetting.Oracle,
        };
        var budget = new Option<int>("--context-tokens") { Description = "Token budget of the BM25 files (estimated at ~4 characters a token)", DefaultValueFactory = _ => PatchContext.DefaultTokenBudget };
        var ids = new Option<string[]>("--instance") { Description = "Generate only for this instance id (repeatable)", AllowMultipleArgumentsPerToken = false };
        var limit = new Option<int?>("--limit", "-n") { Description = "Instances, a seeded random sample" };
        var output = new Option<string?>("--out", "-o") { Description = "Predictions file (JSON Lines); default <reports_dir>/swebench-<target>-<setting>-<time>.jsonl" };
        var command = new Command("generate", "Ask a target for a patch per instance and write the predictions for `swebench eval`")
        {
            config, target, instances, repos, setting, budget, ids, limit, output,
        };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async console =>
        {
            if (parse.GetValue(budget) < 1 || parse.GetValue(limit) < 1)
            {
                throw new ConfigException("--context-tokens and --limit must be at least 1", "pass positive numbers");
            }

            var evalConfig = ConfigLoader.Load(parse.GetValue(config)!);
            var targetName = parse.GetValue(target)!;
            var contextSetting = parse.GetValue(setting);
            var selected = Select(parse.GetValue(instances)!, parse.GetValue(ids), parse.GetValue(limit), evalConfig.Seed);
            var items = await SweBenchGeneration.PrepareAsync(selected, parse.GetValue(repos)!, contextSetting, parse.GetValue(budget), cancellationToken);
            await console.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{items.Count} prompt(s), {SweBenchGeneration.SuiteName(contextSetting)}: {items.Average(i => i.ContextFiles.Count):0.#} file(s) each on average; every gold file shown for {items.Count(i => i.ShowsOracleFiles == true)} of {items.Count(i => i.ShowsOracleFiles is not null)}"));

            await using var store = await CommandSupport.OpenStoreAsync(evalConfig, parse, cancellationToken);
            var evaluation = new Evaluation(evalConfig, store, CommandSupport.Targets(), ConsoleRunObserver.For(console));
            var outcome = await evaluation.RunItemsAsync(targetName, SweBenchGeneration.Suite(contextSetting, items), cancellationToken);
            if (outcome.Status == RunStatus.Interrupted)
            {
                throw new OperationCanceledException();
            }

            if (outcome.Status == RunStatus.Stopped)
            {
                throw new RunStoppedException(outcome.RunId, targetName, outcome.StopReason ?? "a protection stopped the run");
            }

            var samples = await store.GetSamplesAsync(outcome.RunId, cancellationToken);
            var predictions = SweBenchGeneration.Predictions(samples, targetName);
            var path = parse.GetValue(output)
                ?? Path.Combine(evalConfig.ReportsDirectory, $"swebench-{SweBenchCommand.Safe(targetName)}-{SweBenchGeneration.SuiteName(contextSetting)}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.jsonl");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            SweBenchPredictions.Write(path, predictions);

            var metrics = Core.Metrics.RunMetrics.Of(outcome.RunId, samples);
            await console.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"run {outcome.RunId}: {predictions.Count(p => p.ModelPatch.Length > 0)} patch(es), {predictions.Count(p => p.ModelPatch.Length == 0)} answer(s) without one, {outcome.Failed} unanswered, {outcome.FromCache} from cache; E2E p50 {metrics.E2e.P50:0.#} ms, cost ${samples.Sum(s => s.CostUsd):0.####}"));
            await console.WriteLineAsync($"predictions: {path}");
            await console.WriteLineAsync($"evaluate with: basedeval swebench eval --instances {parse.GetValue(instances)} --predictions {path} --repos {parse.GetValue(repos)}");
            return outcome.Failed > 0 ? ExitCodes.RunError : ExitCodes.Pass;
        }));
        return command;
    }

    private static IReadOnlyList<SweBenchInstance> Select(string path, string[]? ids, int? limit, int seed)
    {
        var all = SweBenchInstances.Load(path);
        if (ids?.FirstOrDefault(id => all.All(i => i.InstanceId != id)) is { } unknown)
        {
            throw new ConfigException($"--instance {unknown} is not in {path}", "use an instance_id of the instances file");
        }

        return Planner.Select(SweBenchInstances.Select(all, null, ids), i => i.InstanceId, seed, limit);
    }
}
