using System.Text;

namespace BasedEval.TestServer;

/// <summary>
/// Runs a standalone server's request paths before it takes its first real request. Its methods are compiled as the
/// server first meets them (once and fully optimised: tiered compilation is off for this executable, so nothing is
/// recompiled mid-run), and the first streams of a benchmark would otherwise wait on that: the very first stream of a
/// 64-stream compare came 54 ms late. A throwaway server on another port takes the warm-up, so the real one starts
/// with no streams counted and no fault budget spent.
/// Then the heap is compacted and the server goes on without collections for its next 240 MB of allocation (about
/// 12,000 streams at 19 KB each): every collection stopped its deadline clock too, and its two during a 4,000-stream
/// compare made the streams due then 3–5 ms late. Past that budget it collects as any process does.
/// </summary>
internal static class WarmUp
{
    private const int Streams = 64;
    private const int Rounds = 3;
    private const long AllocationWithoutCollections = 240L * 1024 * 1024;

    public static async Task RunAsync(CancellationToken cancellationToken)
    {
        var script = new ServerScript
        {
            Models = { ["warm-up"] = new ModelScript { TtftMs = 1, InterChunkDelayMs = 1, DefaultReply = "Warming up every path a stream takes." } },
        };
        await using var server = await TestLlmServer.StartAsync(script, 0, recordRequests: false, cancellationToken);
        using var client = new HttpClient { BaseAddress = server.BaseUrl };
        for (var round = 0; round < Rounds; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, Streams).Select(i => StreamAsync(client, anthropic: i % 2 == 1, cancellationToken)));
        }

        try
        {
            // A full, compacting collection comes first, as the region starts.
            _ = GC.TryStartNoGCRegion(AllocationWithoutCollections);
        }
        catch (ArgumentOutOfRangeException)
        {
            // A runtime whose ephemeral space is smaller refuses the budget: the server collects as usual.
        }
    }

    private static async Task StreamAsync(HttpClient client, bool anthropic, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, anthropic ? "v1/messages" : "v1/chat/completions")
        {
            Content = new StringContent(
                anthropic
                    ? """{"model":"warm-up","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"warm up"}]}"""
                    : """{"model":"warm-up","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"warm up"}]}""",
                Encoding.UTF8,
                "application/json"),
        };
        if (anthropic)
        {
            request.Headers.Add("anthropic-version", "2023-06-01");
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        _ = await response.Content.ReadAsStringAsync(cancellationToken);
    }
}
