using BasedEval.Core.Config;
using BasedEval.Core.Running;
using BasedEval.Core.Storage;
using BasedEval.Tests.EndToEnd;
using BasedEval.TestServer;

namespace BasedEval.Tests.Scale;

public class ShardTests
{
    private const string Gates = """
              quality: { margin: 2, confidence: 0.95 }
        """;

    [Fact]
    public void Shard_partition_covers_every_item_once_and_is_the_same_for_a_known_item()
    {
        var ids = Enumerable.Range(0, 1000).Select(i => $"q{i}").ToList();
        var owners = ids.Select(id => Enumerable.Range(0, 4).Where(i => new ShardSpec(i, 4).Owns("mmlu", id)).ToList()).ToList();
        Assert.All(owners, o => Assert.Single(o));
        // Fixed by SHA-256, so every machine and .NET version agrees; a change here would split runs already under way.
        Assert.Equal(ShardSpec.Of("mmlu", "q1", 4), ShardSpec.Of("mmlu", "q1", 4));
        Assert.Equal([1, 2, 3, 0], new[] { "q0", "q1", "q2", "q3" }.Select(id => ShardSpec.Of("mmlu", id, 4)));
        Assert.All(Enumerable.Range(0, 4), i => Assert.InRange(owners.Count(o => o[0] == i), 200, 300));
    }

    [Theory]
    [InlineData("2/4", null, null, null, null, null, "2/4")]
    [InlineData(null, "1/3", "0", "4", null, null, "1/3")]
    [InlineData(null, null, "7", "4", "5", null, "2/4")]
    [InlineData(null, null, null, null, null, "3", "3/5")]
    [InlineData(null, null, null, null, null, null, null)]
    public void Shard_comes_from_the_option_the_matrix_Slurm_or_Kubernetes(string? option, string? matrix, string? slurmId, string? slurmCount, string? slurmMin, string? k8sIndex, string? expected)
    {
        var env = new Dictionary<string, string?>
        {
            ["BASEDEVAL_SHARD"] = matrix,
            ["SLURM_ARRAY_TASK_ID"] = slurmId,
            ["SLURM_ARRAY_TASK_COUNT"] = slurmCount,
            ["SLURM_ARRAY_TASK_MIN"] = slurmMin,
            ["JOB_COMPLETION_INDEX"] = k8sIndex,
            ["BASEDEVAL_SHARD_COUNT"] = k8sIndex is null ? null : "5",
        };
        Assert.Equal(expected, ShardSpec.Resolve(option, name => env.GetValueOrDefault(name))?.ToString());
    }

    [Theory]
    [InlineData("4/4")]
    [InlineData("1")]
    [InlineData("-1/2")]
    [InlineData("a/b")]
    public void Shard_that_is_not_one_is_refused_with_the_fix(string text)
    {
        var e = Assert.Throws<ConfigException>(() => ShardSpec.Parse(text, "--shard"));
        Assert.Contains("INDEX/COUNT", e.Message + e.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shard_runs_meet_in_one_run_and_a_missing_shard_makes_the_comparison_inconclusive()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var ws = new ScriptedWorkspace(200, i => i % 5 != 0, i => i % 5 != 0);
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, ttftMs: 5), ["open-b"] = ws.Model(ws.CandidateRight, ttftMs: 5) } };
        await using var server = await TestLlmServer.StartAsync(script, cancel);
        ws.WriteConfig(server.BaseUrl, Gates, concurrency: 16);

        foreach (var target in new[] { "gpt-a", "open-b" })
        {
            var first = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", target, "--shard", "0/2");
            Assert.True(first.ExitCode == 0, first.Output + first.Error);
        }

        string baselineRun, candidateRun;
        await using (var store = await SqliteResultStore.OpenAsync(ws.StorePath, cancel))
        {
            var runs = await store.ListRunsAsync(cancel);
            Assert.Equal(2, runs.Count);
            baselineRun = runs.Single(r => r.TargetName == "gpt-a").Id;
            candidateRun = runs.Single(r => r.TargetName == "open-b").Id;
            Assert.Equal(RunStatus.Running, runs[0].Status);
            var shards = await store.GetShardsAsync(baselineRun, cancel);
            Assert.Equal([ShardStatus.Completed, ShardStatus.Pending], shards.Select(s => s.Status));
            Assert.Equal(200, shards.Sum(s => s.Items.Count));
            Assert.Equal(shards[0].Items.Count, (await store.GetSamplesAsync(baselineRun, cancel)).Count);
        }

        var listing = await CliRunner.RunAsync(ws.Root, "runs", "--config", ws.ConfigPath);
        Assert.Contains("shards 1/2 done, missing 1 (Pending)", listing.Output, StringComparison.Ordinal);

        var partial = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath, "--baseline-run", baselineRun, "--candidate-run", candidateRun);
        Assert.Equal(3, partial.ExitCode);
        Assert.Contains("verdict: INCONCLUSIVE", partial.Output, StringComparison.Ordinal);
        Assert.Contains($"run {baselineRun} (gpt-a) is missing shard 1/2", partial.Output, StringComparison.Ordinal);
        Assert.Matches(@"\d+ planned samples not stored \(mmlu/\S+", partial.Output);

        // The same command on every shard names the same run: the second shard fills it, and nothing is sent twice.
        var served = server.Requests.Count;
        foreach (var target in new[] { "gpt-a", "open-b" })
        {
            var second = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", target, "--shard", "1/2");
            Assert.True(second.ExitCode == 0, second.Output + second.Error);
            Assert.Contains($"run {(target == "gpt-a" ? baselineRun : candidateRun)}:", second.Output, StringComparison.Ordinal);
        }

        Assert.Equal(400, server.Requests.Count);
        Assert.True(served < 400);
        var again = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "gpt-a", "--shard", "1/2");
        Assert.True(again.ExitCode == 0, again.Output + again.Error);
        Assert.Equal(400, server.Requests.Count);

        var complete = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath, "--baseline-run", baselineRun, "--candidate-run", candidateRun);
        Assert.True(complete.ExitCode == 0, complete.Output + complete.Error);
        Assert.Contains("verdict: PASS", complete.Output, StringComparison.Ordinal);
        await using var done = await SqliteResultStore.OpenAsync(ws.StorePath, cancel);
        Assert.Equal(RunStatus.Completed, (await done.GetRunAsync(baselineRun, cancel))!.Status);
        Assert.Equal(200, (await done.GetSamplesAsync(baselineRun, cancel)).Count);
    }
}
