using System.Runtime.CompilerServices;
using BasedEval.Core.Config;
using BasedEval.Core.Suites;
using BasedEval.Core.Targets;
using BasedEval.Core.Workload;
using BasedEval.Core.Workload.Load;
using BasedEval.TestServer;

namespace BasedEval.Tests.Workload;

public sealed class LoadGeneratorTests
{
    private static readonly LoadBounds Unbounded = new(null, null, TimeSpan.Zero, 0, TimeSpan.FromSeconds(10));

    private static TargetConfig Target(TestLlmServer server, string model = "m") =>
        new("t", ProviderKind.OpenAi, model, $"{server.BaseUrl}v1", null, Prices.Free, 64, TimeSpan.FromSeconds(10), 0, new SamplingConfig(null, null, null, null), null, default);

    private static ServerScript Script(double ttftMs, double interChunkMs = 1, int tokensPerChunk = 1, double perInFlightMs = 0, string reply = "one two three four five six seven eight nine") =>
        new() { Models = { ["m"] = new ModelScript { DefaultReply = reply, TtftMs = ttftMs, InterChunkDelayMs = interChunkMs, TokensPerChunk = tokensPerChunk, TtftPerInFlightMs = perInFlightMs } } };

    private static ListSource Requests(int count, Func<int, TimeSpan?>? arrival = null) => new ListSource(
        Enumerable.Range(0, count).Select(i => new WorkloadRequest(i, $"r{i}", arrival?.Invoke(i), new TargetRequest([new ChatMessage("user", $"request {i}")], SamplingParameters.Greedy), null)).ToList());

    private static async Task<(LoadRun Run, List<RequestOutcome> Outcomes)> RunAsync(TestLlmServer server, IWorkloadSource source, LoadModel model, LoadBounds bounds)
    {
        await using var target = new OpenAiChatTarget(Target(server) with { MaxConcurrency = 256 }, null);
        return await RunAsync(target, source, model, bounds);
    }

    private static async Task<(LoadRun Run, List<RequestOutcome> Outcomes)> RunAsync(ITarget target, IWorkloadSource source, LoadModel model, LoadBounds bounds)
    {
        var outcomes = new List<RequestOutcome>();
        var run = await new LoadGenerator(target, bounds, 3).RunAsync(source, model, o =>
        {
            outcomes.Add(o);
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);
        return (run, outcomes);
    }

    [Fact]
    public async Task A_trace_replay_sends_at_the_recorded_offsets_over_the_time_scale()
    {
        await using var server = await TestLlmServer.StartAsync(Script(5), TestContext.Current.CancellationToken);
        var (run, outcomes) = await RunAsync(server, Requests(40, i => TimeSpan.FromMilliseconds(i * 100)), new TraceLoad(4), Unbounded);

        Assert.Equal(40, run.Sent);
        Assert.All(outcomes, o => Assert.True(o.Succeeded));
        Assert.Equal(Enumerable.Range(0, 40).Select(i => i * 25.0), outcomes.OrderBy(o => o.Sequence).Select(o => o.PlannedMs));
        // Never early: each send waits for its planned offset, the last at 975 ms. How little lateness accumulates over 40
        // waits depends on how busy the machine is, so it is a figure for the workload benchmarks, not a test.
        var lateness = outcomes.OrderBy(o => o.Sequence).Select(o => o.LagMs).ToList();
        Assert.All(lateness, lag => Assert.True(lag >= 0));
        Assert.True(run.ElapsedMs >= 975, $"the replay ended {run.ElapsedMs} ms in");
    }

    [Fact]
    public async Task An_open_load_follows_its_seeded_gamma_plan_and_stops_at_the_duration()
    {
        var model = new OpenLoad(200, 1);
        var expected = model.Offsets(3).TakeWhile(o => o < 500).ToList();
        await using var server = await TestLlmServer.StartAsync(Script(2), TestContext.Current.CancellationToken);
        var (run, outcomes) = await RunAsync(server, Requests(1000), model, Unbounded with { Duration = TimeSpan.FromMilliseconds(500) });

        Assert.Equal(expected.Count, run.Sent);
        Assert.Equal(expected, outcomes.OrderBy(o => o.Sequence).Select(o => o.PlannedMs));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    [InlineData(0.5)]
    public void Open_load_gaps_have_the_requested_mean_and_coefficient_of_variation(double cv)
    {
        var offsets = new OpenLoad(50, cv).Offsets(11).Take(40_001).ToList();
        var gaps = offsets.Zip(offsets.Skip(1), (a, b) => b - a).ToList();
        var mean = gaps.Average();
        var sd = Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / (gaps.Count - 1));
        Assert.InRange(mean, 20 * 0.97, 20 * 1.03);
        Assert.InRange(sd / mean, cv * 0.95, cv * 1.05);
    }

    [Fact]
    public async Task A_closed_load_keeps_exactly_n_in_flight_and_stops_at_the_count()
    {
        await using var server = await TestLlmServer.StartAsync(Script(30, reply: "ok"), TestContext.Current.CancellationToken);
        var (run, outcomes) = await RunAsync(server, Requests(100), new ClosedLoad(4), Unbounded with { MaxRequests = 24 });

        Assert.Equal(24, run.Sent);
        Assert.Equal(24, outcomes.Count);
        Assert.Equal(24, server.RequestCount("m"));
        // Never more than 4 at once: at any send, at most 3 earlier requests are still unanswered.
        foreach (var o in outcomes)
        {
            var overlapping = outcomes.Count(p => p != o && p.SentMs <= o.SentMs && p.SentMs + p.Response!.Timings.E2eMs > o.SentMs);
            Assert.InRange(overlapping, 0, 3);
        }

        // 24 requests, 4 at a time, each at least 30 ms: six rounds at the least.
        Assert.True(run.ElapsedMs >= 180, $"24 requests took {run.ElapsedMs} ms");
    }

    [Fact]
    public async Task A_timed_load_the_target_cannot_keep_up_with_waits_at_the_in_flight_cap_and_shows_as_send_lag()
    {
        await using var server = await TestLlmServer.StartAsync(Script(50, reply: "ok"), TestContext.Current.CancellationToken);
        await using var target = new InFlightCounter(new OpenAiChatTarget(Target(server) with { MaxConcurrency = 256 }, null));
        var (run, outcomes) = await RunAsync(target, Requests(200, _ => TimeSpan.Zero), new TraceLoad(1), Unbounded with { MaxInFlight = 16 });

        // All 200 are due at once; without the cap all 200 would be outstanding together.
        Assert.Equal(200, run.Sent);
        Assert.Equal(16, target.MostInFlight);
        Assert.All(outcomes, o => Assert.True(o.Succeeded));
        // 16 at a time, each at least 50 ms: the last sends wait at least eleven rounds, and that wait is their lag.
        Assert.True(outcomes.Max(o => o.LagMs) >= 11 * 50, $"largest lag {outcomes.Max(o => o.LagMs)} ms");
    }

    [Fact]
    public async Task A_failing_consumer_stops_the_load_and_its_error_surfaces_instead_of_a_hang()
    {
        await using var server = await TestLlmServer.StartAsync(Script(5, reply: "ok"), TestContext.Current.CancellationToken);
        await using var target = new OpenAiChatTarget(Target(server), null);
        var seen = 0;
        var load = new LoadGenerator(target, Unbounded with { MaxInFlight = 4 }, 3).RunAsync(Requests(500, _ => TimeSpan.Zero), new TraceLoad(1), _ =>
            ++seen == 3 ? throw new InvalidOperationException("the store is full") : ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Requests in flight wait for room in the bounded outcome queue; a consumer that stopped reading must not strand them.
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => load.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal("the store is full", e.Message);
        Assert.True(server.RequestCount("m") < 500, $"{server.RequestCount("m")} requests were sent after the consumer failed");
    }

    [Fact]
    public async Task Warm_up_requests_are_sent_but_left_out_of_the_metrics()
    {
        await using var server = await TestLlmServer.StartAsync(Script(5, interChunkMs: 4, tokensPerChunk: 2), TestContext.Current.CancellationToken);
        var (_, outcomes) = await RunAsync(server, Requests(30), new ClosedLoad(3), Unbounded with { WarmupRequests = 6 });
        var builder = new LoadMetricsBuilder(new SloConfig(2000, 500, null, 0.9), 1);
        outcomes.ForEach(builder.Add);
        var metrics = builder.Build("closed");

        Assert.Equal(6, metrics.Warmup);
        Assert.Equal(24, metrics.Measured);
        Assert.Equal(24, metrics.Lag.Count);
        // 9 tokens in chunks of 2 every 4 ms or more: a busy machine only lengthens the gaps, so the bounds are causal. The
        // 2-token chunks split into two gaps each, so ITL is about TPOT; an unsplit chunk would make it about twice TPOT.
        Assert.True(metrics.Tpot.P50 >= 1.8, $"TPOT p50 {metrics.Tpot.P50} ms is shorter than the server's 2 ms per token");
        Assert.True(metrics.Itl.P50 >= 1.8, $"ITL p50 {metrics.Itl.P50} ms is shorter than the server's 2 ms per token");
        Assert.True(metrics.Itl.P50 < metrics.Tpot.P50 * 1.5, $"ITL p50 {metrics.Itl.P50} ms against TPOT p50 {metrics.Tpot.P50} ms: chunks were not split per token");
        Assert.Equal(1.0, metrics.Attainment);
        Assert.True(metrics.MeetsSlos);
        Assert.True(metrics.GoodputPerSecond > 0);
        Assert.InRange(metrics.GoodputPerSecond, metrics.RequestsPerSecond * 0.999, metrics.RequestsPerSecond * 1.001);
        Assert.True(metrics.Ttft.P99Interval.Contains(metrics.Ttft.P99) || metrics.Ttft.P99Interval.Upper >= metrics.Ttft.P99 * 0.99);
    }

    [Fact]
    public async Task Failures_are_outcomes_and_count_against_attainment()
    {
        var script = Script(2, reply: "fine");
        script.Models["m"].Faults.Add(new FaultRule { Kind = FaultKind.ServerError, Fraction = 1, StatusCode = 503, Attempts = 1 });
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        var (_, outcomes) = await RunAsync(server, Requests(10), new ClosedLoad(2), Unbounded);
        var builder = new LoadMetricsBuilder(new SloConfig(1000, null, null, 0.5), 1);
        outcomes.ForEach(builder.Add);
        var metrics = builder.Build("closed");

        // The fault fires once per distinct prompt, and there are no retries under load.
        Assert.Equal(10, metrics.Failed);
        Assert.Equal(10, metrics.Errors["ServerError"]);
        Assert.Equal(0, metrics.Attainment);
        Assert.False(metrics.MeetsSlos);
    }

    [Fact]
    public async Task A_reading_error_surfaces_after_the_requests_already_sent()
    {
        await using var server = await TestLlmServer.StartAsync(Script(1, reply: "x"), TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<WorkloadDataException>(() => RunAsync(server, new FailingSource(3), new ClosedLoad(2), Unbounded));
        Assert.Equal(4, e.Line);
        Assert.Equal(3, server.RequestCount("m"));
    }

    /// <summary>Counts the requests the load has outstanding at the target, and the most at any one time.</summary>
    private sealed class InFlightCounter(ITarget inner) : ITarget
    {
        private int _inFlight;
        private int _most;

        public string Name => inner.Name;

        public TargetIdentity Identity => inner.Identity;

        public int MostInFlight => Volatile.Read(ref _most);

        public async Task<TargetResponse> SendAsync(TargetRequest request, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            for (var most = Volatile.Read(ref _most); now > most; most = Volatile.Read(ref _most))
            {
                Interlocked.CompareExchange(ref _most, now, most);
            }

            try
            {
                return await inner.SendAsync(request, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class ListSource(IReadOnlyList<WorkloadRequest> requests) : IWorkloadSource
    {
        public async IAsyncEnumerable<WorkloadRequest> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (var request in requests)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return request;
            }

            await Task.CompletedTask;
        }
    }

    private sealed class FailingSource(int good) : IWorkloadSource
    {
        public async IAsyncEnumerable<WorkloadRequest> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (var i = 0; i < good; i++)
            {
                yield return new WorkloadRequest(i, $"r{i}", null, new TargetRequest([new ChatMessage("user", $"q{i}")], SamplingParameters.Greedy), null);
            }

            await Task.Delay(200, cancellationToken);
            throw new WorkloadDataException("log.jsonl", good + 1, "broken", "fix it");
        }
    }
}
