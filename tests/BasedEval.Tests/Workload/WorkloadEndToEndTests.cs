using System.Globalization;
using System.Text.RegularExpressions;
using BasedEval.Core.Config;
using BasedEval.Core.Storage;
using BasedEval.Core.Workload;
using BasedEval.Tests.EndToEnd;
using BasedEval.TestServer;

namespace BasedEval.Tests.Workload;

public sealed partial class WorkloadEndToEndTests : IDisposable
{
    private readonly WorkloadFiles _files = new();

    public void Dispose() => _files.Dispose();

    private void WriteConfig(Uri server, string workloads, string slos = "slos: { ttft_ms: 500, tpot_ms: 50 }", string extraTargets = "")
    {
        _files.Write("evals.yaml", $"""
            version: 1
            store: store/results.db
            seed: 5
            targets:
              cand:
                provider: openai
                model: cand
                base_url: {server}v1
                prices: {"{"} input: 0.2, output: 0.6 {"}"}
                timeout_s: 10
              local:
                provider: openai
                model: cand
                base_url: {server}v1
                gpu_hour_usd: 2.5
                gpus: 2
            {extraTargets}
            workloads:
            {workloads}
            {slos}
            """);
    }

    private static ModelScript Model(double ttftMs, double perInFlightMs = 0, string reply = "Sure. Here is a short answer with a few words in it.") =>
        new() { DefaultReply = reply, TtftMs = ttftMs, InterChunkDelayMs = 1, TokensPerChunk = 2, TtftPerInFlightMs = perInFlightMs };

    [Fact]
    public async Task Replaying_the_Azure_conversation_trace_with_ShareGpt_prompts_prints_the_full_metric_table()
    {
        var trace = SharedData.Require("workload/AzureLLMInferenceTrace_conv.csv");
        var prompts = SharedData.Require("workload/ShareGPT_V3_filtered_1000.json");
        await using var server = await TestLlmServer.StartAsync(new ServerScript { Models = { ["cand"] = Model(5) } }, TestContext.Current.CancellationToken);
        WriteConfig(server.BaseUrl, $"""
              azure-conv:
                format: azure_trace
                path: {trace}
                prompts: {prompts}
                time_scale: 20
                limit: 400
            """);

        var result = await CliRunner.RunAsync(_files.Root, "replay", "--target", "cand", "--workload", "azure-conv", "--warmup-requests", "20");

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        foreach (var row in new[] { "TTFT ms", "TPOT ms", "ITL ms", "E2E ms", "send lag ms", "throughput", "goodput", "attainment 100.0%", "cost (token prices)", "blended 3:1 price $0.3/Mtok", "monthly at" })
        {
            Assert.Contains(row, result.Output, StringComparison.Ordinal);
        }

        Assert.Contains("380 measured, 20 warm-up, 0 failed", result.Output, StringComparison.Ordinal);
        Assert.Equal(400, server.RequestCount("cand"));
        var lag = LagRow().Match(result.Output).Groups.Values.Skip(1).Select(g => double.Parse(g.Value, CultureInfo.InvariantCulture)).ToList();
        Assert.True(lag[0] >= 0 && lag.SequenceEqual(lag.Order()), $"send lag percentiles {string.Join(", ", lag)} are not non-negative and ascending");

        // max_tokens comes from the trace's generated tokens: its first rows generated 44, 109, 55 and 16.
        var maxTokens = server.Requests.Select(r => r.Body.GetProperty("max_tokens").GetInt32()).ToHashSet();
        Assert.Superset(new HashSet<int> { 44, 109, 55, 16 }, maxTokens);

        await using var store = await SqliteResultStore.OpenAsync(Path.Combine(_files.Root, "store", "results.db"), TestContext.Current.CancellationToken);
        var run = Assert.Single(await store.ListRunsAsync(TestContext.Current.CancellationToken));
        var samples = await store.GetSamplesAsync(run.Id, TestContext.Current.CancellationToken);
        Assert.Equal(400, samples.Count);
        Assert.Equal(["workload:azure-conv"], run.Suites);
        Assert.Equal(20, samples.Count(s => s.Slices.Contains("warmup")));
        Assert.Equal(Enumerable.Range(0, 400).Select(i => i.ToString(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal), samples.Select(s => s.ItemId).Order(StringComparer.Ordinal));

        // Pacing as causality, which a busy machine cannot break: the schedule starts after the run is created, so no
        // request may start before the run's creation plus its trace offset at time_scale 20. Sending as fast as
        // possible breaks this within the first second; how late sends come is a figure (send lag), not a test.
        var config = ConfigLoader.Load(Path.Combine(_files.Root, "evals.yaml"));
        var source = await WorkloadSources.OpenAsync(config.Workloads!["azure-conv"], TestContext.Current.CancellationToken);
        var planned = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        await foreach (var request in source.ReadAsync(TestContext.Current.CancellationToken))
        {
            planned[request.Index.ToString(CultureInfo.InvariantCulture)] = request.ArrivalOffset!.Value / 20;
        }

        var first = planned.Values.Min();
        Assert.True(planned.Values.Max() - first > TimeSpan.FromSeconds(1), "the trace's first 400 rows span too little to show pacing");
        var run0 = run.CreatedUtc;
        Assert.All(samples, s => Assert.True(
            s.Timings!.RequestStartUtc >= run0 + (planned[s.ItemId] - first) - TimeSpan.FromMilliseconds(2),
            $"item {s.ItemId} started {(run0 + planned[s.ItemId] - first - s.Timings.RequestStartUtc).TotalMilliseconds:0.0} ms before its planned time"));
    }

    [Fact]
    public async Task Bench_finds_the_knee_where_queueing_pushes_TTFT_past_the_SLO()
    {
        // TTFT = 20 ms + 15 ms per other request in flight: about 20, 35, 65, 125 ms at concurrency 1, 2, 4, 8.
        await using var server = await TestLlmServer.StartAsync(new ServerScript { Models = { ["cand"] = Model(20, 15) } }, TestContext.Current.CancellationToken);
        var batch = _files.Write("batch.jsonl", string.Join('\n', Enumerable.Range(0, 50).Select(i =>
            "{\"custom_id\": \"b" + i.ToString(CultureInfo.InvariantCulture) + "\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": {\"model\": \"x\", \"messages\": [{\"role\": \"user\", \"content\": \"Question " + i.ToString(CultureInfo.InvariantCulture) + "\"}]}}")));
        WriteConfig(server.BaseUrl, $"""
              batch:
                format: batch
                path: {batch}
                monthly_requests: 1000000
            """, "slos: { ttft_ms: 100, attainment: 0.9 }");

        var result = await CliRunner.RunAsync(_files.Root, "bench", "--target", "local", "--workload", "batch", "--levels", "1,2,4,8,16", "--requests", "40", "--warmup", "0", "--warmup-requests", "8");

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("knee: c=4,", result.Output, StringComparison.Ordinal);
        Assert.Matches(@"c=8 .* missed", result.Output);
        Assert.DoesNotContain("c=16", result.Output, StringComparison.Ordinal);
        Assert.Contains("cost (2 GPU × $2.5/h at the SLO-meeting load)", result.Output, StringComparison.Ordinal);
        Assert.Contains("monthly at 1,000,000 requests: $3,650 with 1 replica(s)", result.Output, StringComparison.Ordinal);
        TestContext.Current.SendDiagnosticMessage(result.Output);
    }

    [Fact]
    public async Task A_replay_judged_by_checks_reports_quality_aware_goodput()
    {
        await using var server = await TestLlmServer.StartAsync(new ServerScript { Models = { ["cand"] = Model(2, reply: "I'm sorry, but I can't help with that.") } }, TestContext.Current.CancellationToken);
        var log = _files.ChatLog("log.jsonl", 30, 5);
        WriteConfig(server.BaseUrl, $"""
              prod:
                format: chat_log
                path: {log}
                judge: {"{"} method: checks {"}"}
            """);

        var result = await CliRunner.RunAsync(_files.Root, "replay", "--target", "cand", "--workload", "prod");

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("quality (checks): 0 of 30 judged acceptable (0.0%)", result.Output, StringComparison.Ordinal);
        Assert.Contains("quality-aware goodput 0 req/s", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("  w:\n    format: azure_trace\n    path: t.csv\n", "names no prompt pool")]
    [InlineData("  w:\n    format: chat_log\n    path: l.jsonl\n    prompts: p.json\n", "`prompts` applies only")]
    [InlineData("  w:\n    format: chatlog\n    path: l.jsonl\n", "did you mean `chat_log`")]
    [InlineData("  w:\n    format: batch\n    path: l.jsonl\n    judge: { method: pairwise }\n", "names none")]
    [InlineData("  w:\n    format: batch\n    path: l.jsonl\n    judge: { target: nobody }\n", "not defined under `targets`")]
    [InlineData("  w:\n    format: batch\n    path: l.jsonl\n    time_scal: 2\n", "did you mean `time_scale`")]
    public async Task Workload_config_mistakes_exit_2_with_place_and_fix(string workload, string problem)
    {
        WriteConfig(new Uri("http://127.0.0.1:9/"), workload);
        var result = await CliRunner.RunAsync(_files.Root, "bench", "--target", "cand", "--workload", "w");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(problem, result.Error, StringComparison.Ordinal);
        Assert.Matches(@"evals\.yaml:\d+:\d+", result.Error);
    }

    [Fact]
    public async Task An_untimed_workload_needs_a_load_model_and_a_broken_file_exits_2_with_its_line()
    {
        var batch = _files.Write("b.jsonl", "{\"custom_id\": \"a\", \"body\": {\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}}\nnot json\n");
        WriteConfig(new Uri("http://127.0.0.1:9/"), $"  b:\n    format: batch\n    path: {batch}\n");

        var untimed = await CliRunner.RunAsync(_files.Root, "replay", "--target", "cand", "--workload", "b");
        Assert.Equal(2, untimed.ExitCode);
        Assert.Contains("--concurrency N (closed) or --rate R (open)", untimed.Error, StringComparison.Ordinal);

        var broken = await CliRunner.RunAsync(_files.Root, "replay", "--target", "cand", "--workload", "b", "--concurrency", "1");
        Assert.Equal(2, broken.ExitCode);
        Assert.Contains($"{batch}:2:", broken.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Slos_and_gpu_prices_are_read_from_evals_yaml()
    {
        WriteConfig(new Uri("http://127.0.0.1:9/"), "  b:\n    format: sharegpt\n    path: sg.json\n    time_scale: 3\n", "slos: { ttft_ms: 250, e2e_ms: 4000, attainment: 0.95 }");
        var config = ConfigLoader.Load(Path.Combine(_files.Root, "evals.yaml"));
        Assert.Equal(new SloConfig(250, null, 4000, 0.95), config.Slos);
        Assert.Equal(new GpuPricing(2.5, 2), config.Targets["local"].Gpu);
        Assert.Null(config.Targets["cand"].Gpu);
        var workload = config.Workloads!["b"];
        Assert.Equal(WorkloadFormat.ShareGpt, workload.Format);
        Assert.Equal(Path.Combine(_files.Root, "sg.json"), workload.Path);
        Assert.Equal(3, workload.TimeScale);
    }

    [GeneratedRegex(@"send lag ms\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)")]
    private static partial Regex LagRow();
}
