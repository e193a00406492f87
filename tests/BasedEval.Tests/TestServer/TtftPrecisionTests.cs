using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using BasedEval.TestServer;

namespace BasedEval.Tests.TestServer;

/// <summary>
/// A client's measured TTFT against the scripted one, with client and server sharing the process: never early, at
/// concurrency 1 and 64. The figures are printed; the benchmark TimedStreamBenchmarks is where they are judged.
/// It runs alone so that the other tests' work does not show up in its figures.
/// </summary>
[Collection(nameof(TtftPrecisionTests))]
[CollectionDefinition(nameof(TtftPrecisionTests), DisableParallelization = true)]
public class TtftPrecisionTests
{
    private const double ScriptedTtftMs = 25;

    [Theory]
    [InlineData(1, 40)]
    [InlineData(64, 4)]
    public async Task Measured_ttft_is_never_before_the_scripted_one(int concurrency, int requestsPerWorker)
    {
        var script = new ServerScript
        {
            Models =
            {
                ["timed"] = new ModelScript
                {
                    DefaultReply = "The answer is B because the others are wrong. Answer: B",
                    TtftMs = ScriptedTtftMs,
                    InterChunkDelayMs = 3,
                },
            },
        };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency });
        var url = new Uri(server.BaseUrl, "v1/chat/completions");

        // Connections are opened once, as a runner's pooled client would have them.
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => MeasureTtftAsync(client, url)));

        var errors = (await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
            {
                var mine = new List<double>();
                for (var i = 0; i < requestsPerWorker; i++)
                {
                    mine.Add(await MeasureTtftAsync(client, url) - ScriptedTtftMs);
                }

                return mine;
            })))
            .SelectMany(e => e)
            .Order()
            .ToArray();

        var median = errors[errors.Length / 2];
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"concurrency {concurrency}, {errors.Length} requests: TTFT error p50 {median:F3} ms, " +
            $"p99 {errors[(int)(errors.Length * 0.99)]:F3} ms, min {errors[0]:F3} ms, max {errors[^1]:F3} ms");

        // The client's clock starts before the server's arrival stamp, so an honest server can never look early. How late
        // it looks depends on how busy the machine is: TimedStreamBenchmarks measures that against a plain wait.
        Assert.True(errors[0] > -0.5, $"TTFT came {-errors[0]:F3} ms early");
    }

    private static async Task<double> MeasureTtftAsync(HttpClient client, Uri url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(
                """{"model":"timed","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Q?"}]}""",
                Encoding.UTF8,
                new MediaTypeHeaderValue("application/json")),
        };
        var start = Stopwatch.GetTimestamp();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        double? ttft = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (ttft is null && line.Contains("\"content\":\"", StringComparison.Ordinal) && !line.Contains("\"content\":\"\"", StringComparison.Ordinal))
            {
                ttft = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }

        return ttft ?? throw new InvalidOperationException("The stream carried no content.");
    }
}
