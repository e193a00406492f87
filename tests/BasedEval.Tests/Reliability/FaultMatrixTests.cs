using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BasedEval.Core.Storage;
using BasedEval.Core.Targets;
using BasedEval.TestServer;

namespace BasedEval.Tests.Reliability;

/// <summary>
/// Every fault the loopback server can inject, one at a time on a predictable third of the items: each faulted item is
/// retried once and then answered, nothing is lost, every score is the scripted one, and the run record counts each
/// retry under its cause.
/// </summary>
public class FaultMatrixTests
{
    private const int Items = 24;

    public static TheoryData<string, FaultRule, TargetErrorKind> Faults => new()
    {
        { "429 with Retry-After", new FaultRule { Kind = FaultKind.RateLimit, RetryAfterSeconds = 0.3 }, TargetErrorKind.RateLimited },
        { "429 without Retry-After", new FaultRule { Kind = FaultKind.RateLimit }, TargetErrorKind.RateLimited },
        { "500", new FaultRule { Kind = FaultKind.ServerError, StatusCode = 500 }, TargetErrorKind.ServerError },
        { "502", new FaultRule { Kind = FaultKind.ServerError, StatusCode = 502 }, TargetErrorKind.ServerError },
        { "503", new FaultRule { Kind = FaultKind.ServerError, StatusCode = 503 }, TargetErrorKind.ServerError },
        { "reset before headers", new FaultRule { Kind = FaultKind.ResetBeforeHeaders }, TargetErrorKind.Connection },
        { "reset mid-stream", new FaultRule { Kind = FaultKind.ResetMidStream }, TargetErrorKind.Connection },
        { "truncated SSE", new FaultRule { Kind = FaultKind.TruncatedStream }, TargetErrorKind.Connection },
        { "invalid JSON chunk", new FaultRule { Kind = FaultKind.InvalidJsonChunk }, TargetErrorKind.Protocol },
        { "200 stream without a choice", new FaultRule { Kind = FaultKind.EmptyChoices }, TargetErrorKind.Protocol },
        { "stalled stream", new FaultRule { Kind = FaultKind.StallMidStream, StallMs = 6000 }, TargetErrorKind.Timeout },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_faulted_request_is_retried_once_and_its_cause_counted(string name, FaultRule shape, TargetErrorKind cause)
    {
        using var ws = new ReliabilityWorkspace(Items);
        var rule = new FaultRule { Kind = shape.Kind, Fraction = 0.33, Seed = 5, StatusCode = shape.StatusCode, RetryAfterSeconds = shape.RetryAfterSeconds, StallMs = shape.StallMs };
        var faulted = Enumerable.Range(0, Items).Select(ReliabilityWorkspace.Key).Where(rule.Selects).ToHashSet();
        Assert.InRange(faulted.Count, 3, Items - 3);
        await using var server = await TestLlmServer.StartAsync(ws.Script([rule]), TestContext.Current.CancellationToken);
        // A timeout far above a normal answer's few milliseconds, so a loaded machine cannot add timeouts of its own.
        ws.WriteConfig(server.BaseUrl, timeoutSeconds: 2);

        var result = await ws.RunAsync();

        Assert.Equal(RunStatus.Completed, result.Outcome.Status);
        Assert.Equal(Items, result.Samples.Count);
        Assert.All(result.Samples, s =>
        {
            Assert.True(s.Succeeded, $"{name}: {s.Error}");
            Assert.Equal(ws.ExpectedCorrect(s), s.Score!.IsCorrect);
            Assert.Equal(faulted.Contains(ReliabilityWorkspace.KeyOf(s)) ? 2 : 1, s.Attempts);
        });
        Assert.Equal(new Dictionary<string, long> { [cause.ToString()] = faulted.Count }, result.Reliability.RetriesByCause);
        Assert.Empty(result.Reliability.GaveUpByCause);
        Assert.Equal(Items + faulted.Count, result.Reliability.Attempts);
        Assert.Equal(Items + faulted.Count, server.RequestCount("m"));
        Assert.Equal(Items, server.SuccessfulRequestCount("m"));
        if (shape.RetryAfterSeconds is { } wait)
        {
            foreach (var key in faulted)
            {
                var attempts = server.Requests.Where(r => r.Key == key).OrderBy(r => r.ArrivalTimestamp).ToList();
                Assert.True(Stopwatch.GetElapsedTime(attempts[0].ArrivalTimestamp, attempts[1].ArrivalTimestamp).TotalSeconds >= wait * 0.95, "the retry came before Retry-After");
            }
        }
    }

    [Fact]
    public async Task A_slow_drip_within_the_timeout_is_an_answer_not_a_fault()
    {
        using var ws = new ReliabilityWorkspace(8);
        var drip = new FaultRule { Kind = FaultKind.SlowDrip, Fraction = 1, Seed = 1, StallMs = 40 };
        await using var server = await TestLlmServer.StartAsync(ws.Script([drip]), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, timeoutSeconds: 3);

        var result = await ws.RunAsync();

        Assert.Equal(RunStatus.Completed, result.Outcome.Status);
        Assert.All(result.Samples, s =>
        {
            Assert.True(s.Succeeded && s.Attempts == 1, s.Error);
            Assert.Equal(ws.ExpectedCorrect(s), s.Score!.IsCorrect);
            // Five chunks of two tokens, each 40 ms later than scripted.
            Assert.True(s.Timings!.E2eMs >= 5 * 40 * 0.95, $"e2e {s.Timings.E2eMs} ms");
        });
        Assert.Equal(0, result.Reliability.Retries);
    }

    [Fact]
    public async Task A_slow_drip_beyond_the_timeout_is_retried_and_given_up_as_a_timeout()
    {
        using var ws = new ReliabilityWorkspace(3);
        var drip = new FaultRule { Kind = FaultKind.SlowDrip, Fraction = 1, Seed = 1, StallMs = 200, Attempts = 100 };
        await using var server = await TestLlmServer.StartAsync(ws.Script([drip]), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, timeoutSeconds: 0.3, maxRetries: 1, target: "    circuit_breaker: { failures: 0 }");

        var result = await ws.RunAsync();

        Assert.Equal(RunStatus.Completed, result.Outcome.Status);
        Assert.All(result.Samples, s => Assert.True(!s.Succeeded && s.ErrorKind == "Timeout" && s.Attempts == 2, s.Error));
        Assert.Equal(3, result.Reliability.RetriesByCause["Timeout"]);
        Assert.Equal(3, result.Reliability.GaveUpByCause["Timeout"]);
    }

    [Fact]
    public async Task A_refused_connection_trips_the_breaker_and_stops_the_run_after_few_attempts()
    {
        using var ws = new ReliabilityWorkspace(40);
        ws.WriteConfig(ClosedPort(), concurrency: 4, maxRetries: 3, target: "    circuit_breaker: { failures: 4, open_s: 0.05, max_probes: 3 }");

        var result = await ws.RunAsync();

        Assert.Equal(RunStatus.Stopped, result.Outcome.Status);
        Assert.Equal(RunStatus.Stopped, result.Run.Status);
        Assert.Contains("looks unavailable", result.Outcome.StopReason, StringComparison.Ordinal);
        Assert.Contains("connection failed", result.Reliability.StopReason, StringComparison.Ordinal);
        Assert.True(result.Reliability.BreakerOpenings >= 3);
        // Without the breaker: 40 items × 4 attempts. With it: a few attempts before it opens, then one probe at a time.
        Assert.InRange(result.Reliability.Attempts, 4, 4 + 4 + 3);
        Assert.True(result.Reliability.RetriesByCause["Connection"] > 0);
        Assert.All(result.Samples, s => Assert.Equal("Connection", s.ErrorKind));
    }

    [Fact]
    public async Task A_target_that_comes_back_closes_the_breaker_through_a_probe_and_the_run_completes()
    {
        using var ws = new ReliabilityWorkspace(30);
        var url = ClosedPort();
        ws.WriteConfig(url, concurrency: 4, maxRetries: 6, target: "    circuit_breaker: { failures: 3, open_s: 0.1, max_probes: 50 }");

        var run = ws.RunAsync();
        await Task.Delay(400, TestContext.Current.CancellationToken);
        await using var server = await TestLlmServer.StartAsync(ws.Script(), url.Port, recordRequests: true, TestContext.Current.CancellationToken);
        var result = await run;

        Assert.Equal(RunStatus.Completed, result.Outcome.Status);
        Assert.All(result.Samples, s => Assert.True(s.Succeeded, s.Error));
        Assert.True(result.Reliability.BreakerOpenings >= 1);
        Assert.True(result.Reliability.RetriesByCause["Connection"] >= 3);
        Assert.Equal(30, server.SuccessfulRequestCount("m"));
    }

    private static Uri ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }
}
