using System.Diagnostics;
using BasedEval.Core.Storage;
using BasedEval.Tests.EndToEnd;
using BasedEval.TestServer;

namespace BasedEval.Tests.Reliability;

/// <summary>The target's protections in whole runs against the loopback server: what reaches the server, and what the store keeps.</summary>
public class ProtectionTests
{
    [Fact]
    public async Task Requests_per_minute_space_requests_evenly_from_the_first_one()
    {
        using var ws = new ReliabilityWorkspace(20);
        await using var server = await TestLlmServer.StartAsync(ws.Script(), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, concurrency: 8, target: "    rpm: 1200");
        var beforeRun = Stopwatch.GetTimestamp();

        var result = await ws.RunAsync();

        Assert.Equal(RunStatus.Completed, result.Outcome.Status);
        var arrivals = server.Requests.Select(r => r.ArrivalTimestamp).Order().ToList();
        Assert.Equal(20, arrivals.Count);
        // 1,200 a minute is one every 50 ms from the pacer's start, which comes after this test's clock read: the k-th
        // request cannot arrive before k × 50 ms, however late any of them is sent. Two milliseconds cover a timer that
        // fires early by its millisecond tick and the kernel's arrival stamp moved onto the Stopwatch clock.
        Assert.All(arrivals.Select((arrival, k) => (arrival, k)), a =>
            Assert.True(Stopwatch.GetElapsedTime(beforeRun, a.arrival).TotalMilliseconds >= (a.k * 50) - 2, $"request #{a.k} arrived {Stopwatch.GetElapsedTime(beforeRun, a.arrival).TotalMilliseconds:0.0} ms in"));
        Assert.True(result.Reliability.RateLimitWaitSeconds > 1);
        var gaps = arrivals.Zip(arrivals.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b).TotalMilliseconds).Order().ToList();
        TestContext.Current.TestOutputHelper?.WriteLine($"rpm 1200 (50 ms): gaps min {gaps[0]:0.0} ms, median {gaps[gaps.Count / 2]:0.0} ms");
    }

    [Fact]
    public async Task Tokens_per_minute_hold_the_reported_tokens_to_the_rate()
    {
        // Every answer reports 500 prompt tokens and 10 output tokens; 244,800 a minute is 8 requests a second.
        using var ws = new ReliabilityWorkspace(16);
        await using var server = await TestLlmServer.StartAsync(ws.Script(promptTokens: 500), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, concurrency: 4, target: "    tpm: 244800");

        var beforeRun = Stopwatch.GetTimestamp();

        var result = await ws.RunAsync();

        Assert.Equal(RunStatus.Completed, result.Outcome.Status);
        Assert.All(result.Samples, s => Assert.Equal(510, s.Usage.InputTokens + s.Usage.OutputTokens));
        var arrivals = server.Requests.Select(r => r.ArrivalTimestamp).Order().ToList();
        // Before any answer only the prompt's words are known, so the first four go at once. The last request takes a
        // slot only after twelve answers, and each answer charges its 510 tokens to the pacer (an eighth of a second)
        // before any later reservation; four of those charges may still be on their way, which leaves eight, a second,
        // counted from the pacer's start, itself after this test's clock read. Two milliseconds as for the rpm test.
        var last = Stopwatch.GetElapsedTime(beforeRun, arrivals[^1]).TotalMilliseconds;
        Assert.True(last >= (8 * 1000 / 8.0) - 2, $"the last request arrived {last:0.0} ms in");
        Assert.True(result.Reliability.RateLimitWaitSeconds > 1);
    }

    [Fact]
    public async Task Rate_limits_cut_concurrency_and_the_run_still_completes()
    {
        using var ws = new ReliabilityWorkspace(120);
        var rule = new FaultRule { Kind = FaultKind.RateLimit, Fraction = 0.3, Seed = 9, RetryAfterSeconds = 0.01 };
        await using var server = await TestLlmServer.StartAsync(ws.Script([rule], ttftMs: 10), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, concurrency: 16);

        var result = await ws.RunAsync();

        Assert.Equal(RunStatus.Completed, result.Outcome.Status);
        Assert.All(result.Samples, s => Assert.True(s.Succeeded, s.Error));
        Assert.InRange(result.Reliability.LowestConcurrency, 1, 8);
        Assert.Equal(server.Requests.Count(r => r.Fault is not null), result.Reliability.RetriesByCause["RateLimited"]);
        TestContext.Current.TestOutputHelper?.WriteLine($"30 % of 120 items rate-limited once: concurrency 16 fell to {result.Reliability.LowestConcurrency}");
    }

    [Fact]
    public async Task The_spend_cap_stops_the_run_with_everything_answered_stored_and_a_resume_sends_only_the_rest()
    {
        // 1,000 prompt tokens at $2.50 and 10 output at $10 a million: $0.0026 an item, so $0.02 buys 8 of 60.
        using var ws = new ReliabilityWorkspace(60);
        await using var server = await TestLlmServer.StartAsync(ws.Script(promptTokens: 1000, ttftMs: 20), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, concurrency: 2, target: "    max_usd: 0.02");

        var stopped = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t");

        Assert.True(stopped.ExitCode == 4, stopped.Output + stopped.Error);
        Assert.Contains("stopped: spend cap reached", stopped.Error, StringComparison.Ordinal);
        Assert.Contains("--resume run-", stopped.Error, StringComparison.Ordinal);
        string runId;
        await using (var store = await SqliteResultStore.OpenAsync(ws.StorePath, TestContext.Current.CancellationToken))
        {
            var run = Assert.Single(await store.ListRunsAsync(TestContext.Current.CancellationToken));
            runId = run.Id;
            Assert.Equal(RunStatus.Stopped, run.Status);
            var samples = await store.GetSamplesAsync(runId, TestContext.Current.CancellationToken);
            Assert.All(samples, s => Assert.True(s.Succeeded));
            var spent = samples.Sum(s => s.CostUsd);
            // In flight when the cap was reached: at most one more per concurrency slot.
            Assert.InRange(spent, 0.02, 0.02 + (2 * 0.0026) + 1e-9);
            TestContext.Current.TestOutputHelper?.WriteLine($"cap $0.02: stopped after {samples.Count} samples, ${spent:0.0000} spent");
            Assert.Equal(samples.Count, server.RequestCount("m"));
            Assert.Contains("spend cap", (await store.GetRunReliabilityAsync(runId, TestContext.Current.CancellationToken))!.StopReason, StringComparison.Ordinal);
        }

        var sentBefore = server.RequestCount("m");
        File.WriteAllText(ws.ConfigPath, File.ReadAllText(ws.ConfigPath).Replace("max_usd: 0.02", "max_usd: 1", StringComparison.Ordinal));
        var resumed = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t", "--resume", runId);

        Assert.True(resumed.ExitCode == 0, resumed.Output + resumed.Error);
        Assert.Equal(60, server.RequestCount("m"));
        Assert.Equal(60 - sentBefore, server.Requests.Skip(sentBefore).Count());
        Assert.Equal(60, server.Requests.Select(r => r.Key).Distinct().Count());
    }
}
