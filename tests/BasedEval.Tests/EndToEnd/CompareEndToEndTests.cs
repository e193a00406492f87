using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BasedEval.Core.Scoring.Execution;
using BasedEval.Core.Storage;
using BasedEval.Core.Targets;
using BasedEval.Tests.LlamaCpp;
using BasedEval.TestServer;

namespace BasedEval.Tests.EndToEnd;

/// <summary>`basedeval compare` against the loopback server: every number asserted here follows from the server's script.</summary>
public class CompareEndToEndTests
{
    private const string PassingGates = """
              quality: { margin: 2, confidence: 0.95 }
              latency:
                - { metric: ttft, percentile: 95, max_ratio: 2.0 }
              cost: { max_ratio: 1.0 }
        """;

    [Fact]
    public async Task Two_thousand_items_at_concurrency_64_lose_nothing_and_give_the_scripted_verdict()
    {
        using var ws = TwoThousandItems(out var script);
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, PassingGates, concurrency: 64);

        // Client and server share this process, so every collection's pause delays both sides of each stream.
        var (gen0, gen1, gen2, paused, allocated) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var result = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"garbage collections during the compare (gen 0/1/2): {GC.CollectionCount(0) - gen0}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2}, " +
            $"paused {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:0.0} ms of {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms, " +
            $"CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:0} ms, " +
            $"{(GC.GetTotalAllocatedBytes() - allocated) / 4000 / 1024} KB allocated per request");

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("verdict: PASS", result.Output, StringComparison.Ordinal);
        using var json = ReadComparison(ws);
        var paired = json.RootElement.GetProperty("paired");
        Assert.Equal(2000, paired.GetProperty("items").GetInt32());
        Assert.Equal(20, paired.GetProperty("baseline_only_correct").GetInt32());
        Assert.Equal(100, paired.GetProperty("candidate_only_correct").GetInt32());
        Assert.Equal(1580, paired.GetProperty("both_correct").GetInt32());
        Assert.Equal(0.8, paired.GetProperty("baseline_accuracy").GetDouble(), 12);
        Assert.Equal(0.84, paired.GetProperty("candidate_accuracy").GetDouble(), 12);
        Assert.Equal(4.0, paired.GetProperty("difference_points").GetDouble(), 9);
        Assert.Equal("PASS", json.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("schema_version").GetInt32());

        await using var store = await SqliteResultStore.OpenAsync(ws.StorePath, TestContext.Current.CancellationToken);
        var runs = await store.ListRunsAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, runs.Count);
        var worstTtftError = 0.0;
        var errors = new List<double>();
        var earliest = double.MaxValue;
        foreach (var run in runs)
        {
            var samples = await store.GetSamplesAsync(run.Id, TestContext.Current.CancellationToken);
            Assert.Equal(2000, samples.Count);
            Assert.All(samples, s => Assert.True(s.Succeeded && s.Attempts == 1 && !s.Usage.Estimated, s.Error));
            var scripted = run.TargetName == "gpt-a" ? 40.0 : 60.0;
            TestContext.Current.TestOutputHelper?.WriteLine(TtftErrorBreakdown.Describe(samples, server.Requests, run.TargetName, scripted));
            foreach (var sample in samples)
            {
                worstTtftError = Math.Max(worstTtftError, Math.Abs(sample.Timings!.TtftMs!.Value - scripted));
                errors.Add(Math.Abs(sample.Timings!.TtftMs!.Value - scripted));
                earliest = Math.Min(earliest, sample.Timings!.TtftMs!.Value - scripted);
                // "The option numbered as asked is listed here.\n**Answer: X**" is 10 tokens by the server's rule.
                Assert.Equal(10, sample.Usage.OutputTokens);
            }
        }

        errors.Sort();
        TestContext.Current.TestOutputHelper?.WriteLine($"|TTFT − scripted| p50 {errors[errors.Count / 2]:0.000} ms, p99 {errors[(int)(errors.Count * 0.99)]:0.000} ms, {errors.Count(e => e > 2)} of {errors.Count} over 2 ms");
        TestContext.Current.TestOutputHelper?.WriteLine($"worst |TTFT − scripted| over 4,000 samples at concurrency 64: {worstTtftError:0.000} ms");
        // The request starts at its first byte sent and the server counts from its last byte's arrival, so no sample can
        // come early by more than moving kernel stamps between clocks and the server's deadline clock firing early allow
        // (1.3 ms seen once under CI, 3.01 ms beside two SWE-bench evaluations in containers, so 5 ms of room). A TTFT taken
        // at the role chunk would be 40 ms or more early. How close they come is the figure of the explicit
        // in_processes_of_their_own run; a busy machine moves it, so it is not bounded here.
        Assert.True(earliest >= -5, $"a TTFT came {-earliest:0.000} ms before the scripted one");
        Assert.True(File.Exists(Path.Combine(ws.ReportsPath, json.RootElement.GetProperty("id").GetString()!, "summary.md")));
    }

    /// <summary>
    /// The same compare with its loopback traffic captured, so that each sample's TTFT is set against its request's TTFT
    /// on the wire: the runner's own error, told apart from the in-process server's lateness. Needs tcpdump and the right
    /// to capture; run on demand with <c>--filter FullyQualifiedName~against_the_wire -- xUnit.Explicit=on</c>.
    /// </summary>
    [Fact(Explicit = true)]
    public async Task Two_thousand_items_at_concurrency_64_measured_against_the_wire()
    {
        var tcpdump = ChildProcess.FindOnPath("tcpdump");
        Prerequisite.Require(tcpdump is not null && ChildProcess.FindOnPath("python3") is not null, "needs tcpdump and python3 (apt-get install tcpdump)");
        var cancel = TestContext.Current.CancellationToken;
        using var ws = TwoThousandItems(out var script);
        await using var server = await TestLlmServer.StartAsync(script, cancel);
        ws.WriteConfig(server.BaseUrl, PassingGates, concurrency: 64);
        var capture = Path.Combine(ws.Root, "compare.pcap");
        using var dump = Process.Start(new ProcessStartInfo(
            tcpdump!, ["-i", "lo", "-U", "-s", "4096", "--time-stamp-precision=nano", "-w", capture, $"tcp port {server.BaseUrl.Port}"])
        {
            RedirectStandardError = true,
            WorkingDirectory = ws.Root,
        })!;
        while (await dump.StandardError.ReadLineAsync(cancel) is { } line && !line.Contains("listening", StringComparison.Ordinal))
        {
        }

        var result = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Signals.Send(dump.Id, "INT");

        await dump.WaitForExitAsync(cancel);
        var table = Path.Combine(ws.Root, "wire.csv");
        var wireScript = Path.Combine(SyntheticModels.RepositoryRoot, "tests", "BasedEval.Benchmarks", "scripts", "wire-ttft.py");
        using (var reader = Process.Start(new ProcessStartInfo("python3", [wireScript, capture, server.BaseUrl.Port.ToString(CultureInfo.InvariantCulture), "0", "--per-request", table])
        {
            RedirectStandardOutput = true,
            WorkingDirectory = ws.Root,
        })!)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(await reader.StandardOutput.ReadToEndAsync(cancel));
            await reader.WaitForExitAsync(cancel);
            Assert.Equal(0, reader.ExitCode);
        }

        var wire = File.ReadLines(table).Skip(1).Select(row => row.Split(','))
            .ToDictionary(cells => (cells[0], cells[1]), cells => double.Parse(cells[2], CultureInfo.InvariantCulture));
        List<double> runnerErrors = [], serverLateness = [];
        await using var store = await SqliteResultStore.OpenAsync(ws.StorePath, cancel);
        foreach (var run in await store.ListRunsAsync(cancel))
        {
            var scripted = run.TargetName == "gpt-a" ? 40.0 : 60.0;
            foreach (var sample in await store.GetSamplesAsync(run.Id, cancel))
            {
                if (wire.TryGetValue((run.TargetName, TtftErrorBreakdown.KeyPattern().Match(sample.RequestJson).Groups[1].Value), out var wireTtft))
                {
                    runnerErrors.Add(sample.Timings!.TtftMs!.Value - wireTtft);
                    serverLateness.Add(wireTtft - scripted);
                }
            }
        }

        string Figures(List<double> values)
        {
            var sorted = values.Order().ToArray();
            return string.Create(CultureInfo.InvariantCulture, $"min {sorted[0]:0.000} p50 {sorted[sorted.Length / 2]:0.000} p99 {sorted[(int)(sorted.Length * 0.99)]:0.000} max {sorted[^1]:0.000} ms");
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{runnerErrors.Count} of 4,000 samples matched to their request on the wire");
        TestContext.Current.TestOutputHelper?.WriteLine($"runner TTFT − wire TTFT (the runner's error): {Figures(runnerErrors)}");
        TestContext.Current.TestOutputHelper?.WriteLine($"wire TTFT − scripted (the server's lateness): {Figures(serverLateness)}");
        Assert.True(runnerErrors.Count >= 3900, $"only {runnerErrors.Count} samples were found on the wire");
    }

    /// <summary>
    /// The same compare as a user runs it: `basedeval` and the TestServer each in a process of their own, so neither the
    /// test host's collections nor the server's work land in the runner's timings, and the runner's receive pump at
    /// real-time priority where the machine allows it. Run on demand with
    /// <c>--filter FullyQualifiedName~in_processes_of_their_own -- xUnit.Explicit=on</c>.
    /// </summary>
    [Fact(Explicit = true)]
    public async Task Two_thousand_items_at_concurrency_64_in_processes_of_their_own()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var ws = TwoThousandItems(out var script);
        var scriptPath = Path.Combine(ws.Root, "script.json");
        await File.WriteAllTextAsync(scriptPath, script.ToJson(), cancel);
        using var server = Process.Start(DotnetProcess.StartInfo("BasedEval.TestServer.dll", ws.Root, "--script", scriptPath))!;
        try
        {
            var listening = await server.StandardOutput.ReadLineAsync(cancel);
            Assert.StartsWith("listening on ", listening, StringComparison.Ordinal);
            ws.WriteConfig(new Uri(listening!["listening on ".Length..] + "/"), PassingGates, concurrency: 64);

            var start = DotnetProcess.StartInfo("basedeval.dll", ws.Root, "compare", "--config", ws.ConfigPath);
            start.Environment[ReceivePump.PriorityVariable] = "realtime";
            using var compare = Process.Start(start)!;
            var output = compare.StandardOutput.ReadToEndAsync(cancel);
            var error = compare.StandardError.ReadToEndAsync(cancel);
            await compare.WaitForExitAsync(cancel);
            Assert.True(compare.ExitCode == 0, await output + await error);
        }
        finally
        {
            // Stopped by SIGTERM, the server prints how late it wrote first chunks: the part of the error that is its own.
            Signals.Send(server.Id, "TERM");

            TestContext.Current.TestOutputHelper?.WriteLine("server: " + await server.StandardOutput.ReadToEndAsync(cancel));
            await server.WaitForExitAsync(cancel);
        }

        var errors = new List<double>();
        var afterFirstSecond = new List<double>();
        await using var store = await SqliteResultStore.OpenAsync(ws.StorePath, cancel);
        foreach (var run in await store.ListRunsAsync(cancel))
        {
            var scripted = run.TargetName == "gpt-a" ? 40.0 : 60.0;
            var samples = await store.GetSamplesAsync(run.Id, cancel);
            var first = samples.Min(s => s.Timings!.RequestStartUtc);
            errors.AddRange(samples.Select(s => Math.Abs(s.Timings!.TtftMs!.Value - scripted)));
            afterFirstSecond.AddRange(samples.Where(s => s.Timings!.RequestStartUtc > first.AddSeconds(1)).Select(s => Math.Abs(s.Timings!.TtftMs!.Value - scripted)));
        }

        // The first second opens 64 connections and compiles the hot paths; the rest is the steady state.
        afterFirstSecond.Sort();
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"after the first second: {afterFirstSecond.Count} samples, p99 {afterFirstSecond[(int)(afterFirstSecond.Count * 0.99)]:0.000} ms, worst {afterFirstSecond[^1]:0.000} ms, {afterFirstSecond.Count(e => e > 2)} over 2 ms"));

        errors.Sort();
        TestContext.Current.TestOutputHelper?.WriteLine("errors by ms: " + string.Join(", ", errors.GroupBy(e => (int)e).Select(g => $"{g.Key}:{g.Count()}")));
        Assert.Equal(4000, errors.Count);
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"|TTFT − scripted| p50 {errors[errors.Count / 2]:0.000} ms, p99 {errors[(int)(errors.Count * 0.99)]:0.000} ms, worst {errors[^1]:0.000} ms, {errors.Count(e => e > 2)} of {errors.Count} over 2 ms"));
        Assert.True(errors[^1] <= 2.0, $"worst |TTFT − scripted| {errors[^1]:0.000} ms; each sample must be within 2 ms");
    }

    [Fact]
    public async Task A_clearly_worse_candidate_fails_with_exit_code_1()
    {
        using var ws = new ScriptedWorkspace(300, i => i % 10 != 0, i => i % 10 < 6);
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, 5), ["open-b"] = ws.Model(ws.CandidateRight, 5) } };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 2 }");

        var result = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath);

        Assert.True(result.ExitCode == 1, result.Output + result.Error);
        using var json = ReadComparison(ws);
        Assert.Equal("FAIL", json.RootElement.GetProperty("verdict").GetString());
        var gate = json.RootElement.GetProperty("gates")[0];
        Assert.Equal("FAIL", gate.GetProperty("decision").GetString());
        Assert.True(gate.GetProperty("upper").GetDouble() < -2);
    }

    [Fact]
    public async Task Too_few_items_are_inconclusive_and_say_how_many_would_decide()
    {
        // 100 items, 6 discordant each way: difference 0, interval far wider than the 2-point margin.
        using var ws = new ScriptedWorkspace(100, i => i % 4 != 0 || i % 16 == 0, i => i % 4 != 0 ? i % 16 != 1 && i % 16 != 5 || i > 50 : i % 16 == 0 || i % 12 == 0);
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, 5), ["open-b"] = ws.Model(ws.CandidateRight, 5) } };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 2 }");

        var result = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath);

        Assert.True(result.ExitCode == 3, result.Output + result.Error);
        using var json = ReadComparison(ws);
        var gate = json.RootElement.GetProperty("gates")[0];
        Assert.Equal("INCONCLUSIVE", gate.GetProperty("decision").GetString());
        Assert.True(gate.GetProperty("items_needed").GetInt32() > 100);
        Assert.Contains("items needed", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_anthropic_candidate_is_compared_on_the_same_items()
    {
        using var ws = new ScriptedWorkspace(200, i => i % 3 != 0, i => i % 3 != 0);
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, 5), ["open-b"] = ws.Model(ws.CandidateRight, 5, tokensPerChunk: 3) } };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 5 }", candidateProvider: "anthropic");

        var result = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        using var json = ReadComparison(ws);
        var paired = json.RootElement.GetProperty("paired");
        Assert.Equal(200, paired.GetProperty("items").GetInt32());
        Assert.Equal(0, paired.GetProperty("baseline_only_correct").GetInt32());
        Assert.Equal(0, paired.GetProperty("candidate_only_correct").GetInt32());
        Assert.All(server.Requests.Where(r => r.Model == "open-b"), r => Assert.Equal("/v1/messages", r.Path));
        Assert.Equal(10, json.RootElement.GetProperty("cost").GetProperty("candidate").GetProperty("output_tokens").GetInt64() / 200);
    }

    [Fact]
    public async Task Faulted_requests_are_retried_until_no_sample_is_lost_and_scores_match_a_clean_run()
    {
        using var ws = new ScriptedWorkspace(400, i => i % 5 != 0, i => i % 5 != 0);
        List<FaultRule> faults =
        [
            new() { Kind = FaultKind.RateLimit, Fraction = 0.05, Seed = 1, RetryAfterSeconds = 0.05 },
            new() { Kind = FaultKind.ServerError, Fraction = 0.03, Seed = 2, StatusCode = 503 },
            new() { Kind = FaultKind.ResetMidStream, Fraction = 0.02, Seed = 3 },
        ];
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, 5), ["open-b"] = ws.Model(ws.CandidateRight, 5, faults: faults) } };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 2 }", concurrency: 16);

        var result = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        using var json = ReadComparison(ws);
        var paired = json.RootElement.GetProperty("paired");
        Assert.Equal(400, paired.GetProperty("items").GetInt32());
        Assert.Equal(0, paired.GetProperty("baseline_only_correct").GetInt32() + paired.GetProperty("candidate_only_correct").GetInt32());
        var faulted = server.Requests.Count(r => r.Model == "open-b" && r.Fault is not null);
        Assert.True(faulted > 20, $"only {faulted} faults were injected");
        Assert.Equal(400 + faulted, server.RequestCount("open-b"));
    }

    [Fact]
    public async Task A_second_compare_is_answered_from_the_store_without_any_request()
    {
        using var ws = new ScriptedWorkspace(150, i => i % 2 == 0, i => i % 2 == 0);
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, 3), ["open-b"] = ws.Model(ws.CandidateRight, 3) } };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 20 }");

        var first = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath);
        var requestsAfterFirst = server.Requests.Count;
        var second = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(300, requestsAfterFirst);
        Assert.Equal(requestsAfterFirst, server.Requests.Count);
    }

    [Fact]
    public async Task Epochs_ask_each_item_several_times_and_pair_items_not_samples()
    {
        using var ws = new ScriptedWorkspace(60, i => i % 2 == 0, i => i % 3 == 0, subjects: 2);
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, 2), ["open-b"] = ws.Model(ws.CandidateRight, 2) } };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 2 }");
        File.WriteAllText(ws.ConfigPath, File.ReadAllText(ws.ConfigPath).Replace("path: mmlu", "path: mmlu\n    epochs: 3", StringComparison.Ordinal));

        var result = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath);

        Assert.True(result.ExitCode is 1 or 3, result.Output + result.Error);
        Assert.Equal(360, server.Requests.Count);
        using var json = ReadComparison(ws);
        var paired = json.RootElement.GetProperty("paired");
        Assert.Equal(60, paired.GetProperty("items").GetInt32());
        // Right on even items against right on multiples of three: 30 versus 20 of 60.
        Assert.Equal(-100.0 / 6, paired.GetProperty("difference_points").GetDouble(), 9);
        Assert.Equal(180, json.RootElement.GetProperty("baseline").GetProperty("metrics").GetProperty("samples").GetInt32());
    }

    /// <summary>Baseline right on 80 %; the candidate loses 20 of those and gains 100 of the rest: +4 points.</summary>
    private static ScriptedWorkspace TwoThousandItems(out ServerScript script)
    {
        var ws = new ScriptedWorkspace(2000, i => i % 5 != 0, i => i % 5 != 0 ? i % 100 != 1 : i % 20 == 0);
        script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, ttftMs: 40), ["open-b"] = ws.Model(ws.CandidateRight, ttftMs: 60) } };
        return ws;
    }

    private static JsonDocument ReadComparison(ScriptedWorkspace ws)
    {
        var folder = Directory.GetDirectories(ws.ReportsPath).OrderBy(Directory.GetCreationTimeUtc).Last();
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "comparison.json")));
    }
}
