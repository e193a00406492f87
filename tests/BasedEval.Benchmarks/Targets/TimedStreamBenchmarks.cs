using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using BasedEval.TestServer;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace BasedEval.Benchmarks.Targets;

/// <summary>
/// How late the TestServer's scripted timing reaches a loopback client, as figures the unit tests cannot hold on a busy
/// machine: the first content of a 25 ms TTFT, and the end of a stream of ten chunks 15 ms apart after a 20 ms TTFT (an
/// absolute schedule ends at 155 ms; one wake-up delay per chunk would add up). Each is a ratio against a precise wait of
/// the scripted length in the same run: 1.00 is exact, and with 64 in flight the slowest of them sets the figure.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifecycle: GlobalSetup creates, GlobalCleanup disposes.")]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "BenchmarkDotNet runs the references as instance methods beside the measured ones.")]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class TimedStreamBenchmarks
{
    private const double TtftMs = 25;
    private const double ScheduleTtftMs = 20;
    private const double InterChunkMs = 15;
    private const int ScheduleChunks = 10;

    private TestLlmServer _server = null!;
    private HttpClient _client = null!;
    private Uri _url = null!;

    [Params(1, 64)]
    public int Concurrency { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var script = new ServerScript
        {
            Models =
            {
                ["ttft"] = new ModelScript { DefaultReply = "Answer: B", TtftMs = TtftMs },
                ["schedule"] = new ModelScript { DefaultReply = "a b c d e f g h i j", TtftMs = ScheduleTtftMs, InterChunkDelayMs = InterChunkMs },
            },
        };
        _server = TestLlmServer.StartAsync(script, 0, recordRequests: false).GetAwaiter().GetResult();
        _client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency });
        _url = new Uri(_server.BaseUrl, "v1/chat/completions");
        // Connections are opened once, as a runner's pooled client would have them.
        FirstContentAtTheScriptedTtft().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("ttft")]
    public void PreciseWaitOfTheScriptedTtft() => SpinFor(TtftMs);

    [Benchmark]
    [BenchmarkCategory("ttft")]
    public Task FirstContentAtTheScriptedTtft() => EachInFlightAsync("ttft");

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("schedule")]
    public void PreciseWaitOfTheScheduledStream() => SpinFor(ScheduleTtftMs + ((ScheduleChunks - 1) * InterChunkMs));

    [Benchmark]
    [BenchmarkCategory("schedule")]
    public Task WholeStreamOnItsSchedule() => EachInFlightAsync("schedule");

    private Task EachInFlightAsync(string model) => Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => ReadToEndAsync(model)));

    // Spinning rather than sleeping: the reference is the scripted length itself, without a timer's own lateness.
    private static void SpinFor(double milliseconds)
    {
        var end = Stopwatch.GetTimestamp() + (long)(milliseconds * Stopwatch.Frequency / 1000);
        while (Stopwatch.GetTimestamp() < end)
        {
            Thread.SpinWait(20);
        }
    }

    // The stream is read to its end, which leaves with the last token, so that the connection goes back to the pool:
    // the "ttft" model's answer has no delay between chunks, so its end is its first content.
    private async Task ReadToEndAsync(string model)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _url)
        {
            Content = new StringContent(
                $$"""{"model":"{{model}}","stream":true,"messages":[{"role":"user","content":"Q?"}]}""",
                Encoding.UTF8,
                new MediaTypeHeaderValue("application/json")),
        };
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await response.Content.CopyToAsync(Stream.Null);
    }
}
