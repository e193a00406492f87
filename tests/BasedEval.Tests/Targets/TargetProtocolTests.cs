using BasedEval.Core.Config;
using BasedEval.Core.Suites;
using BasedEval.Core.Targets;
using BasedEval.TestServer;

namespace BasedEval.Tests.Targets;

/// <summary>The two streaming targets against the loopback server: timings, usage and every failure classified for the runner.</summary>
public class TargetProtocolTests
{
    private static readonly TargetRequest Request = new([new ChatMessage("system", "Be brief."), new ChatMessage("user", "[K1] What is two plus two?")], new SamplingParameters(0, null, 64, 5));

    private static TargetConfig Config(string provider, Uri server, string model = "m") => new(
        "t",
        provider == "openai" ? ProviderKind.OpenAi : ProviderKind.Anthropic,
        model,
        provider == "openai" ? $"{server}v1" : server.ToString(),
        null,
        Prices.Free,
        4,
        TimeSpan.FromSeconds(5),
        0,
        new SamplingConfig(0, null, 64, 5),
        null,
        default);

    private static ITarget Create(string provider, Uri server, string? key = null, string model = "m") =>
        provider == "openai" ? new OpenAiChatTarget(Config(provider, server, model), key) : new AnthropicTarget(Config(provider, server, model), key);

    private static ServerScript Script(double ttft = 30, double gap = 5, int perChunk = 1, FaultRule? fault = null, bool usage = true) => new()
    {
        Models =
        {
            ["m"] = new ModelScript
            {
                KeyPattern = @"\[(K\d+)\]",
                Replies = { ["K1"] = "Two plus two is four.\nAnswer: 4" },
                TtftMs = ttft,
                InterChunkDelayMs = gap,
                TokensPerChunk = perChunk,
                PromptTokens = 17,
                CachedPromptTokens = 5,
                IncludeUsage = usage,
                Faults = fault is null ? [] : [fault],
            },
        },
    };

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task Text_usage_and_timings_follow_the_definitions(string provider)
    {
        await using var server = await TestLlmServer.StartAsync(Script(ttft: 30, gap: 5, perChunk: 2), TestContext.Current.CancellationToken);
        await using var target = Create(provider, server.BaseUrl, key: "k-123");

        var response = await target.SendAsync(Request, TestContext.Current.CancellationToken);

        Assert.Equal("Two plus two is four.\nAnswer: 4", response.Text);
        Assert.Equal(new TokenUsage(17, 5, 7, 0, false), response.Usage);
        var t = response.Timings;
        // The role-only first chunk arrives at once and must not count: TTFT is the first content chunk's arrival.
        Assert.True(t.TtftMs!.Value >= 29.5, $"TTFT {t.TtftMs} ms is earlier than the scripted 30 ms");
        Assert.Equal(4, t.OutputChunks.Count);
        Assert.Equal(7, t.OutputChunks.Sum(c => c.Tokens));
        Assert.Equal(t.TtftMs.Value, t.OutputChunks[0].OffsetMs);
        Assert.True(t.E2eMs >= t.OutputChunks[^1].OffsetMs);
        var recorded = Assert.Single(server.Requests);
        if (provider == "openai")
        {
            Assert.Equal("Bearer k-123", recorded.Authorization);
            Assert.True(recorded.Body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
            Assert.Equal(5, recorded.Body.GetProperty("seed").GetInt32());
        }
        else
        {
            Assert.Equal("k-123", recorded.ApiKey);
            Assert.Equal("Be brief.", recorded.Body.GetProperty("system").GetString());
            Assert.Equal(1, recorded.Body.GetProperty("messages").GetArrayLength());
            Assert.Equal(AnthropicTarget.ApiVersion, recorded.AnthropicVersion);
        }
    }

    [Fact]
    public async Task Without_usage_a_model_with_no_known_tokenizer_has_its_tokens_estimated_and_marked_so()
    {
        await using var server = await TestLlmServer.StartAsync(Script(ttft: 1, gap: 0, usage: false), TestContext.Current.CancellationToken);
        await using var target = Create("openai", server.BaseUrl);

        var response = await target.SendAsync(Request, TestContext.Current.CancellationToken);

        Assert.True(response.Usage.Estimated);
        Assert.Equal("estimate", response.Usage.CountedBy);
        Assert.Equal(TokenEstimate.Count("Two plus two is four.\nAnswer: 4"), response.Usage.OutputTokens);
        Assert.Equal(Request.Messages.Sum(m => TokenEstimate.Count(m.Content)), response.Usage.InputTokens);
    }

    [Theory]
    [InlineData("openai", FaultKind.RateLimit, TargetErrorKind.RateLimited)]
    [InlineData("openai", FaultKind.ServerError, TargetErrorKind.ServerError)]
    [InlineData("openai", FaultKind.ResetBeforeHeaders, TargetErrorKind.Connection)]
    [InlineData("openai", FaultKind.ResetMidStream, TargetErrorKind.Connection)]
    [InlineData("openai", FaultKind.TruncatedStream, TargetErrorKind.Connection)]
    [InlineData("openai", FaultKind.InvalidJsonChunk, TargetErrorKind.Protocol)]
    [InlineData("anthropic", FaultKind.RateLimit, TargetErrorKind.RateLimited)]
    [InlineData("anthropic", FaultKind.ServerError, TargetErrorKind.ServerError)]
    [InlineData("anthropic", FaultKind.ResetMidStream, TargetErrorKind.Connection)]
    [InlineData("anthropic", FaultKind.TruncatedStream, TargetErrorKind.Connection)]
    [InlineData("anthropic", FaultKind.InvalidJsonChunk, TargetErrorKind.Protocol)]
    public async Task Each_fault_is_classified_for_the_retry_policy(string provider, FaultKind fault, TargetErrorKind expected)
    {
        var rule = new FaultRule { Kind = fault, Fraction = 1, StatusCode = 502, RetryAfterSeconds = 2 };
        await using var server = await TestLlmServer.StartAsync(Script(ttft: 1, gap: 1, fault: rule), TestContext.Current.CancellationToken);
        await using var target = Create(provider, server.BaseUrl);

        var e = await Assert.ThrowsAsync<TargetException>(() => target.SendAsync(Request, TestContext.Current.CancellationToken));

        Assert.Equal(expected, e.Kind);
        if (fault == FaultKind.RateLimit)
        {
            Assert.Equal(TimeSpan.FromSeconds(2), e.RetryAfter);
        }

        if (fault == FaultKind.ServerError)
        {
            Assert.Equal(502, e.StatusCode);
        }
    }

    [Fact]
    public async Task An_unknown_model_is_a_client_error_that_is_not_retried()
    {
        await using var server = await TestLlmServer.StartAsync(Script(), TestContext.Current.CancellationToken);
        await using var target = Create("openai", server.BaseUrl, model: "no-such-model");

        var e = await Assert.ThrowsAsync<TargetException>(() => target.SendAsync(Request, TestContext.Current.CancellationToken));

        Assert.Equal(TargetErrorKind.ClientError, e.Kind);
        Assert.False(e.IsRetryable);
        Assert.Equal(404, e.StatusCode);
    }

    [Fact]
    public async Task A_refused_connection_is_a_retryable_connection_error()
    {
        await using var target = Create("openai", new Uri("http://127.0.0.1:1/"));

        var e = await Assert.ThrowsAsync<TargetException>(() => target.SendAsync(Request, TestContext.Current.CancellationToken));

        Assert.Equal(TargetErrorKind.Connection, e.Kind);
        Assert.True(e.IsRetryable);
    }
}
