using System.Diagnostics;
using System.Net;
using System.Text.Json;
using BasedEval.TestServer;

namespace BasedEval.Tests.TestServer;

public class OpenAiProtocolTests
{
    private static ServerScript Script(int tokensPerChunk = 1, bool includeUsage = true, double ttftMs = 0) => new()
    {
        Models =
        {
            ["model-a"] = new ModelScript
            {
                KeyPattern = @"Question id: (\w+)",
                Replies = { ["q1"] = "Let me think.\nAnswer: A", ["q2"] = "Answer: B" },
                DefaultReply = "I do not know.",
                TokensPerChunk = tokensPerChunk,
                IncludeUsage = includeUsage,
                TtftMs = ttftMs,
                PromptTokens = 120,
                CachedPromptTokens = 100,
            },
            ["model-b"] = new ModelScript { DefaultReply = "Answer: C" },
        },
    };

    [Fact]
    public async Task Stream_sends_role_then_content_then_finish_then_usage_then_done()
    {
        await using var server = await TestLlmServer.StartAsync(Script(), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (response, raw, events) = await client.StreamAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody("model-a", "Question id: q1")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("data: {", raw, StringComparison.Ordinal);
        Assert.EndsWith("\ndata: [DONE]\n\n", raw, StringComparison.Ordinal);
        Assert.All(events, e => Assert.Null(e.Name));

        // "Let me think.\nAnswer: A" is 5 tokens: "Let", " me", " think.", "\nAnswer:", " A".
        Assert.Equal(1 + 5 + 1 + 1 + 1, events.Count);
        var role = events[0].Json;
        Assert.Equal("chat.completion.chunk", role.GetProperty("object").GetString());
        Assert.Equal("model-a", role.GetProperty("model").GetString());
        var roleChoice = role.GetProperty("choices")[0];
        Assert.Equal("assistant", roleChoice.GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("", roleChoice.GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(JsonValueKind.Null, roleChoice.GetProperty("finish_reason").ValueKind);
        Assert.Equal(JsonValueKind.Null, role.GetProperty("usage").ValueKind);

        var contents = events.Skip(1).Take(5).Select(e => e.Json.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString()).ToList();
        Assert.Equal(["Let", " me", " think.", "\nAnswer:", " A"], contents);
        Assert.All(events.Take(7), e => Assert.Equal(role.GetProperty("id").GetString(), e.Json.GetProperty("id").GetString()));

        var finish = events[6].Json.GetProperty("choices")[0];
        Assert.Equal("stop", finish.GetProperty("finish_reason").GetString());
        Assert.Empty(finish.GetProperty("delta").EnumerateObject());

        var usageChunk = events[7].Json;
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        var usage = usageChunk.GetProperty("usage");
        Assert.Equal(120, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(5, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(125, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(100, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());

        Assert.Equal("[DONE]", events[8].Data);
    }

    [Fact]
    public async Task Chunks_carry_tokens_per_chunk_tokens_and_rebuild_the_reply_exactly()
    {
        await using var server = await TestLlmServer.StartAsync(Script(tokensPerChunk: 2), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (_, _, events) = await client.StreamAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody("model-a", "Question id: q1")));

        var contents = ServerClient.OpenAiContents(events).ToList();
        Assert.Equal(["Let me", " think.\nAnswer:", " A"], contents);
        Assert.Equal("Let me think.\nAnswer: A", string.Concat(contents));
        Assert.Equal(5, events[^2].Json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Usage_chunk_is_sent_only_when_requested_and_scripted()
    {
        await using var server = await TestLlmServer.StartAsync(Script(), TestContext.Current.CancellationToken);
        await using var silent = await TestLlmServer.StartAsync(Script(includeUsage: false), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (_, notAsked, notAskedEvents) = await client.StreamAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody("model-a", "Question id: q2", includeUsage: false)));
        var (_, notScripted, _) = await client.StreamAsync(ServerClient.OpenAi(silent, ServerClient.OpenAiBody("model-a", "Question id: q2")));

        Assert.DoesNotContain("usage", notAsked, StringComparison.Ordinal);
        Assert.DoesNotContain("usage", notScripted, StringComparison.Ordinal);
        Assert.Equal("stop", notAskedEvents[^2].Json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("[DONE]", notAskedEvents[^1].Data);
    }

    [Theory]
    [InlineData("Question id: q1", "Let me think.\nAnswer: A")]
    [InlineData("Question id: q2", "Answer: B")]
    [InlineData("Question id: q3", "I do not know.")]
    [InlineData("No id here", "I do not know.")]
    public async Task Key_captured_from_the_messages_selects_the_reply(string content, string expected)
    {
        await using var server = await TestLlmServer.StartAsync(Script(), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (response, body) = await client.SendAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody("model-a", content, stream: false)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("chat.completion", json.GetProperty("object").GetString());
        var choice = json.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(expected, choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(ReplyTokens.Split(expected).Count, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Prompt_tokens_default_to_the_words_of_all_messages()
    {
        await using var server = await TestLlmServer.StartAsync(Script(), TestContext.Current.CancellationToken);
        using var client = new ServerClient();
        const string Body = """
            {"model":"model-b","messages":[
              {"role":"system","content":"You are terse."},
              {"role":"user","content":[{"type":"text","text":"What is two plus two?"}]}]}
            """;

        var (_, body) = await client.SendAsync(ServerClient.OpenAi(server, Body));

        var usage = JsonDocument.Parse(body).RootElement.GetProperty("usage");
        Assert.Equal(8, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(2, usage.GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Unknown_model_is_a_404_with_an_openai_error()
    {
        await using var server = await TestLlmServer.StartAsync(Script(), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (response, body) = await client.SendAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody("nope", "hi")));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains("nope", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, server.RequestCount("nope"));
    }

    [Fact]
    public async Task Malformed_body_is_a_400()
    {
        await using var server = await TestLlmServer.StartAsync(Script(), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (response, body) = await client.SendAsync(ServerClient.OpenAi(server, "{\"model\":"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Models_endpoint_lists_the_scripted_models()
    {
        await using var server = await TestLlmServer.StartAsync(Script(), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var body = await client.Http.GetStringAsync(new Uri(server.BaseUrl, "v1/models"), TestContext.Current.CancellationToken);

        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("list", json.GetProperty("object").GetString());
        Assert.Equal(["model-a", "model-b"], json.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Role_chunk_comes_at_once_without_waiting_for_the_scripted_ttft()
    {
        // A TTFT no test waits out: were the role chunk held back with the content, the read would time out instead.
        await using var server = await TestLlmServer.StartAsync(Script(ttftMs: 600_000), TestContext.Current.CancellationToken);
        using var client = new ServerClient();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        long? contentWrittenWhenRoleArrived = null;

        var (_, _, events, failure) = await client.StreamUntilFailureAsync(
            ServerClient.OpenAi(server, ServerClient.OpenAiBody("model-a", "Question id: q2")),
            stop.Token,
            _ =>
            {
                contentWrittenWhenRoleArrived = server.Requests.Single().FirstContentTimestamp;
                stop.Cancel();
            });

        Assert.IsAssignableFrom<OperationCanceledException>(failure);
        var role = Assert.Single(events).Json.GetProperty("choices")[0].GetProperty("delta");
        Assert.Equal("assistant", role.GetProperty("role").GetString());
        Assert.Equal("", role.GetProperty("content").GetString());
        Assert.Equal(0, contentWrittenWhenRoleArrived);
    }

    [Fact]
    public async Task Content_comes_after_the_role_chunk_and_not_before_the_scripted_ttft()
    {
        await using var server = await TestLlmServer.StartAsync(Script(ttftMs: 150), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (_, _, events) = await client.StreamAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody("model-a", "Question id: q2")));

        Assert.True(events[0].Json.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("role", out _), events[0].Data);
        Assert.Equal("Answer: B", string.Concat(ServerClient.OpenAiContents(events)));
        var request = server.Requests.Single();
        // The arrival stamp is the kernel's, moved onto the Stopwatch clock; a millisecond covers that conversion.
        var written = Stopwatch.GetElapsedTime(request.ArrivalTimestamp, request.FirstContentTimestamp).TotalMilliseconds;
        Assert.True(written >= 150 - 1, $"first content written {written:F1} ms after the request arrived");
        // Causality on one clock: a chunk is read only after it was written, and the client began before the server's arrival.
        Assert.True(events[1].ArrivedTimestamp >= request.FirstContentTimestamp, "the first content was read before the server wrote it");
        Assert.True(events[1].ArrivedMs >= 150 - 1, $"first content read {events[1].ArrivedMs:F1} ms after sending");
    }

    [Fact]
    public async Task Content_chunks_come_no_earlier_than_the_ttft_plus_their_inter_chunk_delays()
    {
        var script = new ServerScript
        {
            Models = { ["m"] = new ModelScript { DefaultReply = "a b c d e f g h i j", TtftMs = 20, InterChunkDelayMs = 15 } },
        };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (_, _, events) = await client.StreamAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody("m", "x")));

        // The client starts its clock before the server's arrival stamp, so a chunk can only look late, never early.
        // How little the schedule drifts is a figure, not a test: TimedStreamBenchmarks measures it.
        var content = events.Skip(1).Take(10).Select(e => e.ArrivedMs).ToList();
        Assert.Equal(["a", " b", " c", " d", " e", " f", " g", " h", " i", " j"], ServerClient.OpenAiContents(events));
        Assert.All(content.Select((ms, i) => (ms, i)), c => Assert.True(c.ms >= 20 + (15 * c.i) - 1, $"chunk {c.i} at {c.ms:F1} ms"));
    }
}
