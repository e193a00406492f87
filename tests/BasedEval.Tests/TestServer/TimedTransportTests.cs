using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using BasedEval.TestServer;

namespace BasedEval.Tests.TestServer;

/// <summary>
/// The TestServer's own transport and timed writes, seen from a raw socket: a request counts from the arrival of its last
/// bytes, and an answer the client does not read for a while is held back without loss and sent in full once it reads.
/// </summary>
public class TimedTransportTests
{
    private const string Model = "timed";

    [Fact]
    public async Task A_request_counts_from_the_arrival_of_its_last_bytes_not_its_first()
    {
        var script = new ServerScript { Models = { [Model] = new ModelScript { DefaultReply = "Answer: B", TtftMs = 30 } } };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        using var socket = await ConnectAsync(server);
        var request = Request(ServerClient.OpenAiBody(Model, "Q?"));
        var half = request.Length - 20;

        await socket.SendAsync(request.AsMemory(0, half), TestContext.Current.CancellationToken);
        // Kestrel has the headers and starts the request; the body's end comes 200 ms later.
        await Task.Delay(200, TestContext.Current.CancellationToken);
        var beforeRest = Stopwatch.GetTimestamp();
        await socket.SendAsync(request.AsMemory(half), TestContext.Current.CancellationToken);
        var response = await ReadAnswerAsync(socket);
        var answered = Stopwatch.GetTimestamp();

        Assert.Contains("Answer: B", string.Concat(Contents(response)), StringComparison.Ordinal);
        var arrival = server.Requests.Single().ArrivalTimestamp;
        // The kernel's stamp is moved onto the Stopwatch clock by reading both clocks; a millisecond covers that.
        Assert.InRange(arrival, beforeRest - (Stopwatch.Frequency / 1000), answered);
        // 30 ms scripted, less the same millisecond of clock conversion.
        Assert.True(Stopwatch.GetElapsedTime(beforeRest, answered).TotalMilliseconds >= 29, "the scripted TTFT counts from the body's end");
    }

    [Fact]
    public async Task An_answer_larger_than_every_buffer_waits_for_a_slow_reader_and_arrives_whole()
    {
        // About 3 MB of events against a 4 KB receive buffer: the server's writes must wait for room, off its clock thread.
        var reply = string.Join(' ', Enumerable.Range(0, 20_000).Select(i => $"w{i}"));
        var script = new ServerScript
        {
            Models =
            {
                [Model] = new ModelScript { DefaultReply = reply, TtftMs = 5 },
                ["quick"] = new ModelScript { DefaultReply = "Answer: C", TtftMs = 20 },
            },
        };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        using var slow = await ConnectAsync(server, receiveBuffer: 4096);
        await slow.SendAsync(Request(ServerClient.OpenAiBody(Model, "long?")), TestContext.Current.CancellationToken);
        await Task.Delay(500, TestContext.Current.CancellationToken);

        // Meanwhile other streams are served: the stalled writer does not hold the clock. Were it held, the quick answer
        // could only come after the slow reader below reads, and the client's 30 s timeout would end this wait first.
        using var other = new ServerClient();
        var (_, _, events) = await other.StreamAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody("quick", "short?")));
        Assert.Equal("Answer: C", string.Concat(ServerClient.OpenAiContents(events)));
        Assert.False(server.Requests.Single(r => r.Model == Model).Completed);

        var response = await ReadAnswerAsync(slow);
        Assert.Equal(reply, string.Concat(Contents(response)));
        Assert.True(server.Requests.Single(r => r.Model == Model).Completed);
    }

    [Fact]
    public async Task A_connection_the_server_closes_ends_with_the_answer_sent_whole()
    {
        var script = new ServerScript { Models = { [Model] = new ModelScript { DefaultReply = "Answer: D", TtftMs = 5 } } };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        using var socket = await ConnectAsync(server);
        var body = Encoding.UTF8.GetBytes(ServerClient.OpenAiBody(Model, "last?"));
        var head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head).Concat(body).ToArray(), TestContext.Current.CancellationToken);

        var response = await ReadAnswerAsync(socket);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));

        Assert.Equal("Answer: D", string.Concat(Contents(response)));
        // The server ends the connection itself, promptly, instead of waiting for the client to.
        Assert.Equal(0, await socket.ReceiveAsync(new byte[16], timeout.Token));
    }

    private static async Task<Socket> ConnectAsync(TestLlmServer server, int? receiveBuffer = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBuffer is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        await socket.ConnectAsync(server.BaseUrl.Host, server.BaseUrl.Port, TestContext.Current.CancellationToken);
        return socket;
    }

    private static byte[] Request(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(head), .. body];
    }

    /// <summary>The body of the chunked response, read until its terminating chunk and joined again.</summary>
    private static async Task<string> ReadAnswerAsync(Socket socket)
    {
        var received = new MemoryStream();
        var buffer = new byte[65536];
        while (!received.GetBuffer().AsSpan(0, (int)received.Length).EndsWith("\r\n0\r\n\r\n"u8))
        {
            var read = await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
            Assert.True(read > 0, "the server closed the connection before the answer ended");
            received.Write(buffer, 0, read);
        }

        var text = Encoding.UTF8.GetString(received.GetBuffer(), 0, (int)received.Length);
        Assert.StartsWith("HTTP/1.1 200", text, StringComparison.Ordinal);
        var body = new StringBuilder();
        var at = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        while (true)
        {
            var lineEnd = text.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(text[at..lineEnd], 16);
            if (size == 0)
            {
                return body.ToString();
            }

            body.Append(text, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }

    /// <summary>The content deltas of an OpenAI event stream, in order.</summary>
    private static IEnumerable<string> Contents(string body) =>
        ServerClient.OpenAiContents(body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(e => e.StartsWith("data: ", StringComparison.Ordinal))
            .Select(e => new SseEvent(null, e["data: ".Length..], 0, 0)));
}
