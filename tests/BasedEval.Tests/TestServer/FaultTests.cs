using System.Net;
using System.Text.Json;
using BasedEval.TestServer;

namespace BasedEval.Tests.TestServer;

public class FaultTests
{
    private const string Model = "faulty";
    private const string Reply = "one two three four five six";

    private static ServerScript Script(params FaultRule[] faults) => new()
    {
        Models =
        {
            [Model] = new ModelScript
            {
                KeyPattern = @"id=(\w+)",
                DefaultReply = Reply,
                Faults = [.. faults],
            },
        },
    };

    [Fact]
    public void Selection_is_deterministic_and_hits_about_the_fraction()
    {
        var rule = new FaultRule { Kind = FaultKind.ServerError, Fraction = 0.3, Seed = 42 };
        var keys = Enumerable.Range(0, 2000).Select(i => $"item-{i}").ToList();

        var selected = keys.Where(rule.Selects).ToList();

        Assert.InRange(selected.Count, 540, 660);
        Assert.Equal(selected, keys.Where(new FaultRule { Fraction = 0.3, Seed = 42 }.Selects));
        Assert.NotEqual(selected, keys.Where(new FaultRule { Fraction = 0.3, Seed = 43 }.Selects));
        Assert.DoesNotContain(keys, new FaultRule { Fraction = 0 }.Selects);
        Assert.Equal(keys.Count, keys.Count(new FaultRule { Fraction = 1 }.Selects));
    }

    [Fact]
    public async Task Faults_hit_exactly_the_selected_keys_and_the_retry_succeeds()
    {
        var rule = new FaultRule { Kind = FaultKind.ServerError, Fraction = 0.5, Seed = 7, StatusCode = 503 };
        await using var server = await TestLlmServer.StartAsync(Script(rule), TestContext.Current.CancellationToken);
        using var client = new ServerClient();
        var keys = Enumerable.Range(0, 30).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();

        foreach (var key in keys)
        {
            var (first, _) = await client.SendAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, $"id={key}", stream: false)));
            var (second, _) = await client.SendAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, $"id={key}", stream: false)));

            Assert.Equal(rule.Selects(key) ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal(2, server.RequestCountForKey(Model, key));
        }

        var faulted = keys.Count(rule.Selects);
        Assert.InRange(faulted, 1, 29);
        Assert.Equal(60, server.RequestCount(Model));
        Assert.Equal(60 - faulted, server.SuccessfulRequestCount(Model));
        Assert.Equal(faulted, server.Requests.Count(r => r.Fault == FaultKind.ServerError));
        Assert.All(server.Requests.Where(r => r.Fault is not null), r => Assert.Equal(1, r.Attempt));
    }

    [Fact]
    public async Task Rate_limit_sends_retry_after_for_as_many_attempts_as_scripted()
    {
        var rule = new FaultRule { Kind = FaultKind.RateLimit, Fraction = 1, Attempts = 2, RetryAfterSeconds = 1.5 };
        await using var server = await TestLlmServer.StartAsync(Script(rule), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            var (response, body) = await client.SendAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "id=a", stream: false)));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
                Assert.Equal("1500", response.Headers.GetValues("retry-after-ms").Single());
                Assert.Equal("rate_limit_exceeded", JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString());
            }
        }

        Assert.Equal([HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.OK], statuses);
    }

    [Fact]
    public async Task Rate_limit_without_retry_after_sends_no_header_and_anthropic_gets_its_error_shape()
    {
        var rule = new FaultRule { Kind = FaultKind.RateLimit, Fraction = 1 };
        await using var server = await TestLlmServer.StartAsync(Script(rule), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (response, body) = await client.SendAsync(ServerClient.Anthropic(server, ServerClient.AnthropicBody(Model, "id=a")));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Null(response.Headers.RetryAfter);
        Assert.Equal("rate_limit_error", JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task Server_error_uses_the_scripted_status(int status)
    {
        var rule = new FaultRule { Kind = FaultKind.ServerError, Fraction = 1, StatusCode = status };
        await using var server = await TestLlmServer.StartAsync(Script(rule), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (response, body) = await client.SendAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "id=a")));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("server_error", JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(status, server.Requests.Single().StatusCode);
    }

    [Fact]
    public async Task Reset_before_headers_fails_the_request_then_the_retry_succeeds()
    {
        var script = Script(new FaultRule { Kind = FaultKind.ResetBeforeHeaders, Fraction = 1 });
        script.Models["clean"] = new ModelScript { DefaultReply = "ok" };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        using var client = new ServerClient();
        var (warm, _) = await client.SendAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody("clean", "hi")));
        Assert.Equal(HttpStatusCode.OK, warm.StatusCode);

        // On the pooled connection too: the client must see the failure rather than a silent resend.
        await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "id=a"))));
        var (response, _) = await client.SendAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "id=a")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([FaultKind.ResetBeforeHeaders, null], server.Requests.Where(r => r.Model == Model).Select(r => r.Fault));
        Assert.Null(server.Requests[1].StatusCode);
        Assert.Equal(2, server.RequestCountForKey(Model, "a"));
        Assert.Equal(1, server.SuccessfulRequestCount(Model));
    }

    [Fact]
    public async Task Reset_mid_stream_breaks_the_stream_after_half_the_content()
    {
        var rule = new FaultRule { Kind = FaultKind.ResetMidStream, Fraction = 1 };
        await using var server = await TestLlmServer.StartAsync(Script(rule), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (_, _, events, failure) = await client.StreamUntilFailureAsync(
            ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "id=a")), TestContext.Current.CancellationToken);

        Assert.IsAssignableFrom<IOException>(failure);
        Assert.Equal(["one", " two", " three"], ServerClient.OpenAiContents(events));
        Assert.False(server.Requests.Single().Completed);
        Assert.Equal(0, server.SuccessfulRequestCount(Model));
    }

    [Fact]
    public async Task Truncated_stream_ends_cleanly_without_finish_usage_or_done()
    {
        var rule = new FaultRule { Kind = FaultKind.TruncatedStream, Fraction = 1 };
        await using var server = await TestLlmServer.StartAsync(Script(rule), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (_, raw, events) = await client.StreamAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "id=a")));
        var (_, anthropicRaw, anthropicEvents) = await client.StreamAsync(ServerClient.Anthropic(server, ServerClient.AnthropicBody(Model, "id=b")));

        Assert.Equal(["one", " two", " three"], ServerClient.OpenAiContents(events));
        Assert.DoesNotContain("finish_reason\":\"stop", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", raw, StringComparison.Ordinal);
        Assert.Equal(["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_delta"],
            anthropicEvents.Select(e => e.Name));
        Assert.DoesNotContain("message_stop", anthropicRaw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_json_chunk_comes_mid_stream_and_then_the_stream_ends()
    {
        var rule = new FaultRule { Kind = FaultKind.InvalidJsonChunk, Fraction = 1 };
        await using var server = await TestLlmServer.StartAsync(Script(rule), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (_, raw, events) = await client.StreamAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "id=a")));
        var (_, _, anthropicEvents) = await client.StreamAsync(ServerClient.Anthropic(server, ServerClient.AnthropicBody(Model, "id=b")));

        Assert.EndsWith("data: {not json\n\n", raw, StringComparison.Ordinal);
        Assert.Equal(1 + 3 + 1, events.Count);
        Assert.Equal("content_block_delta", anthropicEvents[^1].Name);
        Assert.Equal("{not json", anthropicEvents[^1].Data);
    }

    [Fact]
    public async Task Stall_mid_stream_goes_silent_for_the_stall_then_finishes()
    {
        var rule = new FaultRule { Kind = FaultKind.StallMidStream, Fraction = 1, StallMs = 300 };
        await using var server = await TestLlmServer.StartAsync(Script(rule), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (_, _, events) = await client.StreamAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "id=a")));

        // Where the stall falls is Stall_longer_than_the_client_timeout_fails_that_attempt_only's business; here, that it ends.
        var content = events.Skip(1).Take(6).Select(e => e.ArrivedMs).ToList();
        Assert.Equal(Reply, string.Concat(ServerClient.OpenAiContents(events)));
        Assert.True(content[3] >= 300, $"after the stall: fourth chunk at {content[3]:F1} ms");
        Assert.True(server.Requests.Single().Completed);
        Assert.Equal(0, server.SuccessfulRequestCount(Model));
    }

    [Fact]
    public async Task Stall_longer_than_the_client_timeout_fails_that_attempt_only()
    {
        // The client gives up once it holds the first half, inside a stall no test waits out. A stall placed before the
        // third chunk would leave the read waiting until the 30 s guard, with fewer chunks; none at all would end the stream.
        var rule = new FaultRule { Kind = FaultKind.StallMidStream, Fraction = 1, StallMs = 600_000 };
        await using var server = await TestLlmServer.StartAsync(Script(rule), TestContext.Current.CancellationToken);
        using var client = new ServerClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));

        var contentChunks = 0;
        var (_, _, events, failure) = await client.StreamUntilFailureAsync(
            ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "id=a")),
            timeout.Token,
            e =>
            {
                if (ServerClient.OpenAiContents([e]).Any() && ++contentChunks == 3)
                {
                    timeout.Cancel();
                }
            });
        var (_, _, retried) = await client.StreamAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "id=a")));

        Assert.IsAssignableFrom<OperationCanceledException>(failure);
        Assert.Equal(["one", " two", " three"], ServerClient.OpenAiContents(events));
        Assert.False(server.Requests[0].Completed);
        Assert.Equal(Reply, string.Concat(ServerClient.OpenAiContents(retried)));
        Assert.Equal(1, server.SuccessfulRequestCount(Model));
        Assert.Equal(2, server.RequestCountForKey(Model, "a"));
    }

    [Fact]
    public async Task Slow_drip_delays_every_chunk_by_the_stall()
    {
        var rule = new FaultRule { Kind = FaultKind.SlowDrip, Fraction = 1, StallMs = 60 };
        await using var server = await TestLlmServer.StartAsync(Script(rule), TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var (_, _, events) = await client.StreamAsync(ServerClient.Anthropic(server, ServerClient.AnthropicBody(Model, "id=a")));

        var deltas = events.Where(e => e.Name == "content_block_delta").Select(e => e.ArrivedMs).ToList();
        Assert.Equal(6, deltas.Count);
        Assert.All(deltas.Select((ms, i) => (ms, i)), d => Assert.True(d.ms >= 60 * (d.i + 1), $"delta {d.i} at {d.ms:F1} ms"));
        Assert.Equal("message_stop", events[^1].Name);
    }

    [Fact]
    public async Task Selected_rules_take_turns_before_the_key_is_served()
    {
        var script = Script(
            new FaultRule { Kind = FaultKind.RateLimit, Fraction = 1 },
            new FaultRule { Kind = FaultKind.ServerError, Fraction = 0 },
            new FaultRule { Kind = FaultKind.ServerError, Fraction = 1, StatusCode = 502, Attempts = 2 });
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        using var client = new ServerClient();

        var statuses = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            var (response, _) = await client.SendAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "id=a", stream: false)));
            statuses.Add((int)response.StatusCode);
        }

        Assert.Equal([429, 502, 502, 200, 200], statuses);
        Assert.Equal([1, 2, 3, 4, 5], server.Requests.Select(r => r.Attempt));
    }

    [Fact]
    public async Task Faults_count_per_key_and_requests_without_a_key_count_by_their_contents()
    {
        var rule = new FaultRule { Kind = FaultKind.ServerError, Fraction = 1 };
        await using var server = await TestLlmServer.StartAsync(Script(rule), TestContext.Current.CancellationToken);
        using var client = new ServerClient();
        using var authorized = ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "no key here", stream: false));
        authorized.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "sk-test-abc");

        var (a1, _) = await client.SendAsync(authorized);
        var (a2, _) = await client.SendAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "no key here", stream: false)));
        var (b1, _) = await client.SendAsync(ServerClient.OpenAi(server, ServerClient.OpenAiBody(Model, "other text", stream: false)));

        Assert.Equal([HttpStatusCode.InternalServerError, HttpStatusCode.OK, HttpStatusCode.InternalServerError], [a1.StatusCode, a2.StatusCode, b1.StatusCode]);
        Assert.All(server.Requests, r => Assert.Null(r.Key));
        Assert.Equal("Bearer sk-test-abc", server.Requests[0].Authorization);
        Assert.False(server.Requests[1].HasAuthorization);
    }
}
