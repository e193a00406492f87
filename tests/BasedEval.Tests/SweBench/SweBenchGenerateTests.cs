using System.Text.Json.Nodes;
using BasedEval.Core.Storage;
using BasedEval.Core.SweBench;
using BasedEval.Tests.EndToEnd;
using BasedEval.TestServer;

namespace BasedEval.Tests.SweBench;

/// <summary>
/// `swebench generate` → `swebench eval` → `swebench compare` against the loopback server, on three instances of
/// <see cref="SyntheticSweBenchRepository"/> that differ only in their issue text, which carries the key the server answers by.
/// </summary>
public sealed class SweBenchGenerateTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("basedeval-swebench-generate-").FullName;

    public void Dispose() => Cleanup.DeleteFolder(_root);

    [Fact]
    public async Task Generated_patches_are_stored_samples_whose_predictions_evaluate_and_compare_by_instance()
    {
        var instance = await CreateAsync();
        var gold = instance.Patch;
        var miscounted = gold.Replace("@@ -1,5 +1,5 @@", "@@ -1,9 +1,2 @@", StringComparison.Ordinal);
        var wrongFix = gold.Replace("+    return a + b", "+    return b - a", StringComparison.Ordinal);
        var script = new ServerScript
        {
            Models =
            {
                // gpt-a: a fenced patch with wrong hunk counts (resolves), a bare patch with the wrong fix, prose without a patch.
                ["gpt-a"] = Model(("calc-1", $"The operator is wrong.\n```diff\n{miscounted}```\n"), ("calc-2", $"Change this:\n\n{wrongFix}"), ("calc-3", "I cannot tell what is wrong.")),
                // open-b: a bare patch with wrong counts and a fenced gold patch (both resolve), prose without a patch.
                ["open-b"] = Model(("calc-1", miscounted), ("calc-2", $"```diff\n{gold}```"), ("calc-3", "No idea.")),
            },
        };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_root, "evals.yaml"), $$"""
            version: 1
            store: store/results.db
            targets:
              gpt-a: { provider: openai, model: gpt-a, base_url: {{server.BaseUrl}}v1, prices: { input: 2.5, output: 10 }, timeout_s: 10 }
              open-b: { provider: openai, model: open-b, base_url: {{server.BaseUrl}}v1, prices: { input: 0.2, output: 0.6 }, timeout_s: 10 }
            """, TestContext.Current.CancellationToken);

        var generatedA = await Cli("swebench", "generate", "--target", "gpt-a", "--instances", "instances.jsonl", "--repos", "repos", "--out", "a.jsonl");
        var again = await Cli("swebench", "generate", "--target", "gpt-a", "--instances", "instances.jsonl", "--repos", "repos", "--out", "a.jsonl");
        var generatedB = await Cli("swebench", "generate", "--target", "open-b", "--instances", "instances.jsonl", "--repos", "repos", "--setting", "bm25", "--out", "b.jsonl");
        var evaluatedA = await Cli("swebench", "eval", "--instances", "instances.jsonl", "--predictions", "a.jsonl", "--repos", "repos", "--out", "eval-a", "--timeout-s", "60");
        var evaluatedB = await Cli("swebench", "eval", "--instances", "instances.jsonl", "--predictions", "b.jsonl", "--repos", "repos", "--out", "eval-b", "--timeout-s", "60");
        var compared = await Cli("swebench", "compare", "eval-a/report.json", "eval-b/report.json", "--out", "comparison.json");

        Assert.True(generatedA.ExitCode == 0, generatedA.Output + generatedA.Error);
        Assert.Contains("3 prompt(s), swebench-oracle: 1 file(s) each on average; every gold file shown for 3 of 3", generatedA.Output, StringComparison.Ordinal);
        Assert.Contains("2 patch(es), 1 answer(s) without one, 0 unanswered, 0 from cache", generatedA.Output, StringComparison.Ordinal);
        Assert.Contains("0 unanswered, 3 from cache", again.Output, StringComparison.Ordinal);
        Assert.True(generatedB.ExitCode == 0, generatedB.Output + generatedB.Error);
        Assert.Contains("swebench-bm25", generatedB.Output, StringComparison.Ordinal);
        Assert.Equal(3, server.Requests.Count(r => r.Model == "gpt-a"));

        await using (var store = await SqliteResultStore.OpenAsync(Path.Combine(_root, "store", "results.db"), TestContext.Current.CancellationToken))
        {
            var run = (await store.ListRunsAsync(TestContext.Current.CancellationToken)).Where(r => r.TargetName == "gpt-a").MinBy(r => r.CreatedUtc)!;
            var samples = await store.GetSamplesAsync(run.Id, TestContext.Current.CancellationToken);
            Assert.Equal(["swebench-oracle"], run.Suites);
            Assert.All(samples, s => Assert.True(s.Succeeded && s.Timings?.TtftMs > 0 && s.Usage.InputTokens > 0 && s.CostUsd > 0 && s.Slices.SequenceEqual(["acme/calc"]), s.Error));
            Assert.Equal(["acme__calc-1", "acme__calc-2"], samples.Where(s => s.Score!.IsCorrect).Select(s => s.ItemId).Order());
            var predictions = SweBenchPredictions.Load(Path.Combine(_root, "a.jsonl"));
            Assert.Equal(samples.OrderBy(s => s.ItemId).Select(s => s.CostUsd), predictions.Select(p => p.CostUsd!.Value));
            Assert.Equal(string.Empty, predictions.Single(p => p.InstanceId == "acme__calc-3").ModelPatch);
            Assert.Equal("gpt-a", predictions[0].ModelNameOrPath);

            Assert.True(evaluatedA.ExitCode == 0, evaluatedA.Output + evaluatedA.Error);
            Assert.Matches(@"acme__calc-1\s+RESOLVED", evaluatedA.Output);
            Assert.Matches(@"acme__calc-2\s+UNRESOLVED", evaluatedA.Output);
            Assert.Matches(@"acme__calc-3\s+UNRESOLVED", evaluatedA.Output);
            var overall = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_root, "eval-a", "report.json"), TestContext.Current.CancellationToken))!["report"]!["overall"]!;
            Assert.Equal(samples.Sum(s => s.CostUsd), (double)overall["cost_usd"]!, 9);
            Assert.Equal(samples.Sum(s => s.CostUsd), (double)overall["cost_per_resolved_usd"]!, 9);
            Assert.Contains("per resolved instance", evaluatedA.Output, StringComparison.Ordinal);
        }

        Assert.True(evaluatedB.ExitCode == 0, evaluatedB.Output + evaluatedB.Error);
        Assert.Contains("resolved: 2/3", evaluatedB.Output, StringComparison.Ordinal);
        Assert.True(compared.ExitCode == 0, compared.Output + compared.Error);
        Assert.Contains("paired on 3 instances: both resolved 1, only baseline 0, only candidate 1, neither 1", compared.Output, StringComparison.Ordinal);
        Assert.Contains("resolved only by the candidate: acme__calc-2", compared.Output, StringComparison.Ordinal);
        var comparison = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_root, "comparison.json"), TestContext.Current.CancellationToken))!;
        Assert.Equal("acme__calc-2", (string?)comparison["comparison"]!["only_candidate_resolved"]![0]);
    }

    [Fact]
    public async Task A_missing_clone_an_unknown_target_or_instance_stops_before_anything_is_sent()
    {
        await CreateAsync();
        await using var server = await TestLlmServer.StartAsync(new ServerScript { Models = { ["gpt-a"] = Model() } }, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_root, "evals.yaml"), $"version: 1\ntargets:\n  gpt-a: {{ provider: openai, model: gpt-a, base_url: {server.BaseUrl}v1 }}\n", TestContext.Current.CancellationToken);

        var noClone = await Cli("swebench", "generate", "--target", "gpt-a", "--instances", "instances.jsonl", "--repos", "elsewhere");
        var noTarget = await Cli("swebench", "generate", "--target", "gpt-z", "--instances", "instances.jsonl", "--repos", "repos");
        var noInstance = await Cli("swebench", "generate", "--target", "gpt-a", "--instances", "instances.jsonl", "--repos", "repos", "--instance", "acme__calc-99");

        Assert.Equal((2, 2, 2), (noClone.ExitCode, noTarget.ExitCode, noInstance.ExitCode));
        Assert.Contains("--instance acme__calc-99 is not in instances.jsonl", noInstance.Error, StringComparison.Ordinal);
        Assert.Contains("no local repository for acme/calc in elsewhere", noClone.Error, StringComparison.Ordinal);
        Assert.Contains("gpt-z", noTarget.Error, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    private static ModelScript Model(params (string Key, string Reply)[] replies) => new()
    {
        KeyPattern = @"\[(calc-\d)\]",
        Replies = replies.ToDictionary(r => r.Key, r => r.Reply),
        TtftMs = 2,
        TokensPerChunk = 8,
    };

    private Task<CliResult> Cli(params string[] args) => CliRunner.RunAsync(_root, args);

    /// <summary>Three instances of one repository and commit; each issue names its key, so the server can tell them apart.</summary>
    private async Task<SweBenchInstance> CreateAsync()
    {
        var executor = new LocalSweBenchExecutor(new LocalSweBenchOptions(Path.Combine(_root, "repos"), LocalSweBenchOptions.DefaultPython));
        await SyntheticSweBenchRepository.SkipUnlessRunnableAsync(executor);
        var instance = SyntheticSweBenchRepository.Create(Path.Combine(_root, "repos"));
        var records = Enumerable.Range(1, 3).Select(n => SyntheticSweBenchRepository.Record(instance with
        {
            InstanceId = $"acme__calc-{n}",
            ProblemStatement = $"[calc-{n}] {instance.ProblemStatement}",
        }));
        await File.WriteAllLinesAsync(Path.Combine(_root, "instances.jsonl"), records, TestContext.Current.CancellationToken);
        return instance;
    }
}
