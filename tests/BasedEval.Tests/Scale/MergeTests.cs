using BasedEval.Core.Storage;
using BasedEval.Tests.EndToEnd;
using BasedEval.TestServer;

namespace BasedEval.Tests.Scale;

public class MergeTests
{
    [Fact]
    public async Task Merge_of_shard_files_gives_one_complete_run_and_refuses_samples_that_disagree()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var ws = new ScriptedWorkspace(120, i => i % 4 != 0, i => i % 4 != 0);
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, ttftMs: 2), ["open-b"] = ws.Model(ws.CandidateRight, ttftMs: 2) } };
        await using var server = await TestLlmServer.StartAsync(script, cancel);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 2, confidence: 0.95 }", concurrency: 8);
        var config = File.ReadAllText(ws.ConfigPath);

        // Each shard writes its own file, as shards on machines without a shared database do.
        for (var shard = 0; shard < 2; shard++)
        {
            File.WriteAllText(ws.ConfigPath, config.Replace("store: store/results.db", $"store: shard{shard}.db", StringComparison.Ordinal));
            var result = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "gpt-a", "--shard", $"{shard}/2");
            Assert.True(result.ExitCode == 0, result.Output + result.Error);
        }

        var into = Path.Combine(ws.Root, "merged.db");
        var merged = await CliRunner.RunAsync(ws.Root, "merge", "shard0.db", "shard1.db", "--into", into);
        Assert.True(merged.ExitCode == 0, merged.Output + merged.Error);
        Assert.Contains("1 runs and 120 samples added", merged.Output, StringComparison.Ordinal);
        var again = await CliRunner.RunAsync(ws.Root, "merge", "shard0.db", "shard1.db", "--into", into);
        Assert.Contains("0 runs and 0 samples added", again.Output, StringComparison.Ordinal);

        string runId;
        await using (var store = await SqliteResultStore.OpenAsync(into, cancel))
        {
            var run = Assert.Single(await store.ListRunsAsync(cancel));
            runId = run.Id;
            Assert.Equal(RunStatus.Completed, run.Status);
            Assert.Equal(120, (await store.GetSamplesAsync(run.Id, cancel)).Select(s => s.ItemId).Distinct().Count());
            Assert.All(await store.GetShardsAsync(run.Id, cancel), s => Assert.Equal(ShardStatus.Completed, s.Status));
        }

        // A shard file whose answer to one item differs from what the merged store holds.
        Sample changed;
        await using (var shard0 = await SqliteResultStore.OpenAsync(Path.Combine(ws.Root, "shard0.db"), cancel))
        {
            changed = (await shard0.GetSamplesAsync(runId, cancel))[0];
            await shard0.SaveSamplesAsync([changed with { ResponseText = "**Answer: D** on second thought" }], cancel);
        }

        var refused = await CliRunner.RunAsync(ws.Root, "merge", "shard0.db", "--into", into);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"disagree on item `{changed.ItemId}` of suite `mmlu` (epoch 0) in run {runId}", refused.Error, StringComparison.Ordinal);
        Assert.Contains("nothing was written", refused.Error, StringComparison.Ordinal);
        await using var unchanged = await SqliteResultStore.OpenAsync(into, cancel);
        Assert.Equal(changed.ResponseText, (await unchanged.GetSamplesAsync(runId, cancel)).Single(s => s.ItemId == changed.ItemId).ResponseText);
    }
}
