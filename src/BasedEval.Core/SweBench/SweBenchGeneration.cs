using BasedEval.Core.Config;
using BasedEval.Core.Running;
using BasedEval.Core.Scoring;
using BasedEval.Core.Storage;
using BasedEval.Core.Suites;

namespace BasedEval.Core.SweBench;

/// <summary>
/// Scores a generation answer by whether a patch can be read from it, and keeps the repaired patch as the extracted answer.
/// Whether the patch resolves the issue is for `swebench eval` to decide, with the tests.
/// </summary>
public sealed class PatchScorer : IScorer
{
    public string Name => "swebench-patch";

    public Score Score(EvalItem item, string responseText)
    {
        try
        {
            var diff = DiffExtractor.Extract(responseText);
            return new Score(1, diff, $"a patch of {UnifiedDiff.Parse(diff).Files.Count} file(s); `swebench eval` decides whether it resolves the issue");
        }
        catch (PatchFormatException e)
        {
            return new Score(0, null, e.Message);
        }
    }
}

/// <summary>One instance's request and the files its prompt shows.</summary>
/// <param name="ShowsOracleFiles">Whether every file the gold patch changes is shown (the retrieval's recall); null without a readable gold patch.</param>
public sealed record GenerationItem(SweBenchInstance Instance, EvalItem Item, IReadOnlyList<string> ContextFiles, bool? ShowsOracleFiles);

/// <summary>SWE-bench patch generation on the one data path: prompts become items, the runner asks the target, samples become predictions.</summary>
public static class SweBenchGeneration
{
    /// <summary>The suite name the samples are stored under, e.g. swebench-bm25.</summary>
    public static string SuiteName(ContextSetting setting) => "swebench-" + setting.ToString().ToLowerInvariant();

    /// <summary>
    /// The prompt of each instance, built from its repository at base_commit before anything is sent, so that a missing clone or
    /// commit stops the run at once rather than after paid requests. Each item is sliced by repository.
    /// </summary>
    public static async Task<IReadOnlyList<GenerationItem>> PrepareAsync(
        IReadOnlyList<SweBenchInstance> instances, string repositories, ContextSetting setting, int tokenBudget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(repositories);
        var items = new List<GenerationItem>(instances.Count);
        foreach (var instance in instances)
        {
            var repository = GitSnapshot.Locate(repositories, instance.Repo)
                ?? throw new ConfigException($"no local repository for {instance.Repo} in {repositories}", $"clone it there as {instance.Repo.Replace("/", "__", StringComparison.Ordinal)}");
            var snapshot = await GitSnapshot.OpenAsync(repository, instance.BaseCommit, cancellationToken);
            IReadOnlyList<string>? oracle;
            try
            {
                oracle = PatchContext.OracleFiles(instance);
            }
            catch (PatchFormatException e)
            {
                // Retrieval does not need the gold patch; only its recall goes unmeasured.
                oracle = setting == ContextSetting.Oracle
                    ? throw new ConfigException($"the gold patch of {instance.InstanceId} cannot be read: {e.Message}", "fix the instance's patch, or use --setting bm25, which does not need it")
                    : null;
            }

            var files = await PatchContext.SelectAsync(instance, snapshot, setting, tokenBudget, cancellationToken);
            var item = new EvalItem(
                instance.InstanceId, [new ChatMessage("user", PatchPrompt.Build(instance, setting, files))], [], null, [instance.Repo], new Dictionary<string, string>());
            var shown = files.Select(f => f.Path).ToList();
            items.Add(new GenerationItem(instance, item, shown, oracle is null ? null : oracle.All(shown.Contains)));
        }

        return items;
    }

    /// <summary>The planned suite the runner carries out: one request per instance, scored by <see cref="PatchScorer"/>.</summary>
    public static PlannedSuite Suite(ContextSetting setting, IReadOnlyList<GenerationItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new PlannedSuite(SuiteName(setting), new PatchScorer(), [.. items.Select(i => i.Item)], RankChoices: false, Epochs: 1);
    }

    /// <summary>
    /// One prediction per answered sample, with the sample's cost: the extracted patch, or an empty patch for an answer that holds
    /// none (attempted and unresolved, as the official harness counts it). A sample the target never answered has no prediction.
    /// </summary>
    public static IReadOnlyList<SweBenchPrediction> Predictions(IReadOnlyList<Sample> samples, string modelName)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return [.. samples
            .Where(s => s.Succeeded)
            .OrderBy(s => s.ItemId, StringComparer.Ordinal)
            .Select(s => new SweBenchPrediction(s.ItemId, modelName, s.Score?.Extracted ?? string.Empty, 0) { CostUsd = s.CostUsd })];
    }
}
