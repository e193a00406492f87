using System.Globalization;
using BasedEval.Core.Config;
using BasedEval.Core.Running;
using BasedEval.Core.Storage;
using BasedEval.Core.Tokens;
using BasedEval.Core.Workload;
using BasedEval.Tests.EndToEnd;
using BasedEval.Tests.Workload;
using BasedEval.TestServer;

namespace BasedEval.Tests.Tokens;

/// <summary>Tokenizers where they are used: usage a server leaves out, a workload's cost before any call, and the context window.</summary>
public sealed class TokenCountingEndToEndTests : IDisposable
{
    private const string Reply = "Sure. Here is a short answer, with 12345 digits and a few words in it.";

    private readonly WorkloadFiles _files = new();

    public void Dispose() => _files.Dispose();

    private string WriteConfig(Uri server, string llamaTokenizer, int limit) => _files.Write("evals.yaml", $"""
        version: 1
        store: store/results.db
        targets:
          gpt:
            provider: openai
            model: gpt-4o-mini
            base_url: {server}v1
            prices: {"{"} input: 0.15, output: 0.6 {"}"}
          llama:
            provider: openai
            model: meta-llama/Llama-3.2-3B-Instruct
            base_url: {server}v1
            tokenizer: {llamaTokenizer}
            context: 131072
            prices: {"{"} input: 0.06, output: 0.06 {"}"}
          unknown:
            provider: openai
            model: house-model
            base_url: {server}v1
        suites:
          mmlu: {"{"} format: mmlu, path: mmlu {"}"}
        comparisons:
          swap: {"{"} baseline: gpt, candidate: llama, suites: [mmlu] {"}"}
        workloads:
          sg:
            format: sharegpt
            path: {SharedData.Require("workload/ShareGPT_V3_filtered_1000.json")}
            limit: {limit}
            monthly_requests: 1000000
        """);

    [Fact]
    public async Task Usage_a_server_leaves_out_is_counted_by_the_targets_tokenizer_and_stored_with_its_name()
    {
        var script = new ServerScript();
        foreach (var model in new[] { "gpt-4o-mini", "house-model" })
        {
            script.Models[model] = new ModelScript { DefaultReply = Reply, TtftMs = 1, InterChunkDelayMs = 0, TokensPerChunk = 3, IncludeUsage = false };
        }

        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        var configPath = WriteConfig(server.BaseUrl, SharedData.Require("tokenizers/llama3.2_bpe"), 6);

        var counted = await CliRunner.RunAsync(_files.Root, "replay", "--target", "gpt", "--workload", "sg", "--concurrency", "2");
        var estimated = await CliRunner.RunAsync(_files.Root, "replay", "--target", "unknown", "--workload", "sg", "--concurrency", "2");

        Assert.True(counted.ExitCode == 0, counted.Output + counted.Error);
        Assert.True(estimated.ExitCode == 0, estimated.Output + estimated.Error);
        var config = ConfigLoader.Load(configPath);
        var o200k = TokenCounters.Library(new TokenizerSpec(TokenizerKind.Tiktoken, "o200k_base", []));
        var prompts = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var request in (await WorkloadSources.OpenAsync(config.Workloads!["sg"], TestContext.Current.CancellationToken)).ReadAsync(TestContext.Current.CancellationToken))
        {
            prompts[request.Id] = request.Request.Messages.Sum(m => o200k.CountTokens(m.Content));
        }

        await using var store = await SqliteResultStore.OpenAsync(Path.Combine(_files.Root, "store", "results.db"), TestContext.Current.CancellationToken);
        var runs = await store.ListRunsAsync(TestContext.Current.CancellationToken);
        var gptSamples = await store.GetSamplesAsync(runs.Single(r => r.TargetName == "gpt").Id, TestContext.Current.CancellationToken);
        Assert.Equal(6, gptSamples.Count);
        Assert.All(gptSamples, s =>
        {
            Assert.Equal("o200k_base", s.Usage.CountedBy);
            Assert.False(s.Usage.Estimated);
            Assert.Equal(o200k.CountTokens(Reply), s.Usage.OutputTokens);
            Assert.Equal(prompts[s.ItemId], s.Usage.InputTokens);
        });

        // No tokenizer is known for the house model: its counts stay estimates and say so.
        var unknownSamples = await store.GetSamplesAsync(runs.Single(r => r.TargetName == "unknown").Id, TestContext.Current.CancellationToken);
        Assert.All(unknownSamples, s =>
        {
            Assert.Equal("estimate", s.Usage.CountedBy);
            Assert.True(s.Usage.Estimated);
        });
    }

    [Fact]
    public async Task A_dry_run_counts_a_real_workload_in_each_candidates_own_tokens_and_prices_a_month_of_each()
    {
        var llamaFolder = SharedData.Require("tokenizers/llama3.2_bpe");
        // Nothing listens here: a dry run that sent anything would fail.
        var configPath = WriteConfig(new Uri("http://127.0.0.1:9/"), llamaFolder, 300);

        var result = await CliRunner.RunAsync(_files.Root, "replay", "--target", "gpt", "--workload", "sg", "--dry-run");

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var config = ConfigLoader.Load(configPath);
        var projections = await TokenCostProjection.ForTargetsAsync(config.Workloads!["sg"], [config.Targets["gpt"], config.Targets["llama"]], TestContext.Current.CancellationToken);
        var (gpt, llama) = (projections[0], projections[1]);
        Assert.Equal(("o200k_base", "bpe:llama3.2_bpe"), (gpt.Tokenizer, llama.Tokenizer));

        var o200k = TokenCounters.Library(new TokenizerSpec(TokenizerKind.Tiktoken, "o200k_base", []));
        var llama3 = TokenCounters.Library(new TokenizerSpec(TokenizerKind.BytePairFiles, "bpe", [Path.Combine(llamaFolder, "encoder.json"), Path.Combine(llamaFolder, "vocab.bpe")]));
        long gptInput = 0, llamaInput = 0, gptOutput = 0, llamaOutput = 0;
        await foreach (var request in (await WorkloadSources.OpenAsync(config.Workloads["sg"], TestContext.Current.CancellationToken)).ReadAsync(TestContext.Current.CancellationToken))
        {
            gptInput += request.Request.Messages.Sum(m => o200k.CountTokens(m.Content));
            llamaInput += request.Request.Messages.Sum(m => llama3.CountTokens(m.Content));
            // Where the log kept no answer, the output is what max_tokens allows.
            var unanswered = request.Request.Sampling.MaxTokens ?? RunEstimate.AssumedOutputTokens;
            gptOutput += request.Recorded is { } answer ? o200k.CountTokens(answer.Text) : unanswered;
            llamaOutput += request.Recorded is { } recorded ? llama3.CountTokens(recorded.Text) : unanswered;
        }

        Assert.Equal((gptInput, gptOutput, llamaInput, llamaOutput), (gpt.InputTokens, gpt.OutputTokens, llama.InputTokens, llama.OutputTokens));
        Assert.NotEqual(gptInput + gptOutput, llamaInput + llamaOutput);
        Assert.Equal(((gptInput * 0.15) + (gptOutput * 0.6)) / 1e6 / gpt.Requests * 1e6, gpt.MonthlyUsd!.Value, 6);
        Assert.Equal(((llamaInput + llamaOutput) * 0.06) / 1e6 / llama.Requests * 1e6, llama.MonthlyUsd!.Value, 6);
        foreach (var p in projections)
        {
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{p.InputTokens,14:N0}{p.OutputTokens,14:N0}"), result.Output, StringComparison.Ordinal);
            Assert.Contains(p.MonthlyUsd!.Value.ToString("N2", CultureInfo.InvariantCulture), result.Output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("unknown", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_compare_report_shows_each_workload_in_the_baselines_and_the_candidates_own_tokens()
    {
        using var ws = new ScriptedWorkspace(12, _ => true, _ => true, subjects: 3);
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, 1), ["open-b"] = ws.Model(ws.CandidateRight, 1) } };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        File.WriteAllText(ws.ConfigPath, $"""
            version: 1
            store: store/results.db
            reports_dir: reports
            targets:
              gpt: {"{"} provider: openai, model: gpt-a, base_url: {server.BaseUrl}v1, tokenizer: o200k_base, prices: {"{"} input: 2.5, output: 10 {"}"} {"}"}
              llama: {"{"} provider: openai, model: open-b, base_url: {server.BaseUrl}v1, tokenizer: {SharedData.Require("tokenizers/llama3.2_bpe")}, prices: {"{"} input: 0.1, output: 0.1 {"}"} {"}"}
            suites:
              mmlu: {"{"} format: mmlu, path: mmlu {"}"}
            comparisons:
              swap: {"{"} baseline: gpt, candidate: llama, suites: [mmlu] {"}"}
            workloads:
              sg:
                format: sharegpt
                path: {SharedData.Require("workload/ShareGPT_V3_filtered_1000.json")}
                limit: 100
                monthly_requests: 50000
            """);

        var result = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath);

        Assert.True(result.ExitCode is 0 or 3, result.Output + result.Error);
        var config = ConfigLoader.Load(ws.ConfigPath);
        var expected = await TokenCostProjection.ForTargetsAsync(config.Workloads!["sg"], [config.Targets["gpt"], config.Targets["llama"]], TestContext.Current.CancellationToken);
        var folder = Directory.GetDirectories(ws.ReportsPath).Single();
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "comparison.json")));
        var costs = Assert.Single(json.RootElement.GetProperty("workload_costs").EnumerateArray());
        Assert.Equal("sg", costs.GetProperty("workload").GetString());
        var summary = File.ReadAllText(Path.Combine(folder, "summary.md"));
        var html = File.ReadAllText(Path.Combine(folder, "report.html"));
        foreach (var (side, p) in new[] { ("baseline", expected[0]), ("candidate", expected[1]) })
        {
            var stored = costs.GetProperty(side);
            Assert.Equal(p.Tokenizer, stored.GetProperty("tokenizer").GetString());
            Assert.Equal(p.InputTokens, stored.GetProperty("input_tokens").GetInt64());
            Assert.Equal(p.MonthlyUsd!.Value, stored.GetProperty("monthly_usd").GetDouble(), 9);
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"| `sg` | `{p.Target}` | {p.Tokenizer} | {p.InputTokens} | {p.OutputTokens} |"), summary, StringComparison.Ordinal);
            Assert.Contains(p.InputTokens.ToString("#,##0", CultureInfo.InvariantCulture), html, StringComparison.Ordinal);
        }

        Assert.Equal(("o200k_base", "bpe:llama3.2_bpe"), (expected[0].Tokenizer, expected[1].Tokenizer));
        Assert.Contains("Recorded workloads in each model's own tokens", html, StringComparison.Ordinal);
    }
}
