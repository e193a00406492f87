using System.Globalization;
using BasedEval.Core.Config;
using BasedEval.Core.Suites;

namespace BasedEval.Core.Targets;

public sealed record SamplingParameters(double? Temperature, double? TopP, int? MaxTokens, int? Seed)
{
    public static SamplingParameters Greedy { get; } = new(0, null, null, null);
}

public sealed record TargetRequest(IReadOnlyList<ChatMessage> Messages, SamplingParameters Sampling)
{
    /// <summary>Functions the model may call (OpenAI <c>tools</c>, Anthropic <c>tools</c>); empty for plain chat.</summary>
    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    /// <summary>A JSON Schema the answer must follow (OpenAI <c>response_format</c>); Anthropic has no equivalent, so there the prompt must carry it.</summary>
    public ResponseFormat? ResponseFormat { get; init; }

    /// <summary>
    /// When set, nothing is generated: the target ranks these continuations of the first message's text by log-likelihood,
    /// as lm-evaluation-harness scores multiple choice, and answers with the most likely one. Only targets whose
    /// <see cref="ITarget.CanRankContinuations"/> is true accept it.
    /// </summary>
    public IReadOnlyList<string>? Continuations { get; init; }

    /// <summary>
    /// Called with each piece of visible answer text as it arrives, so a caller can pass the stream on (the IChatClient
    /// adapter streams through it); the response and its timings are the same with or without it.
    /// </summary>
    public Action<string>? OnText { get; init; }
}

/// <summary>A function call the model made. <see cref="Arguments"/> is the JSON text exactly as streamed, which may be invalid JSON.</summary>
public sealed record ToolCall(string Id, string Name, string Arguments);

/// <summary>
/// Token counts. Where the server reports none they are counted locally by the target's tokenizer, named in
/// <see cref="CountedBy"/>; <see cref="Estimated"/> is set only where no tokenizer is known and the count is the
/// four-characters-a-token estimate. Output includes reasoning tokens; <see cref="ReasoningTokens"/> says how many of them were reasoning.
/// </summary>
public sealed record TokenUsage(int InputTokens, int CachedInputTokens, int OutputTokens, int ReasoningTokens, bool Estimated)
{
    public static TokenUsage None { get; } = new(0, 0, 0, 0, true);

    /// <summary>The tokenizer that counted what the server did not report (<c>o200k_base</c>, <c>estimate</c>); null where the server reported all of it.</summary>
    public string? CountedBy { get; init; }
}

/// <summary>
/// Timings as DESIGN.md defines them, all in milliseconds from request start (just before the request bytes are written).
/// <see cref="OutputChunks"/> holds, for every output-bearing chunk, its arrival offset and the number of tokens it carried
/// (1 where the server does not say).
/// </summary>
public sealed record SampleTimings(DateTimeOffset RequestStartUtc, double? TtftMs, double E2eMs, IReadOnlyList<ChunkArrival> OutputChunks);

public readonly record struct ChunkArrival(double OffsetMs, int Tokens);

public sealed record TargetResponse(string Text, string? FinishReason, TokenUsage Usage, SampleTimings Timings)
{
    /// <summary>Function calls in the order the model made them; empty when it answered in text only.</summary>
    public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];
}

/// <summary>Who answers: enough to tell two targets apart in the store and the response cache.</summary>
public sealed record TargetIdentity(string Provider, string Model, string Endpoint, string SettingsFingerprint)
{
    public string Key => $"{Provider}|{Model}|{Endpoint}|{SettingsFingerprint}";

    /// <summary>The sampling settings of a remote target, which change what it answers and so which cached answers fit.</summary>
    public static string SamplingFingerprint(SamplingConfig sampling)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        return string.Create(CultureInfo.InvariantCulture, $"t={sampling.Temperature};p={sampling.TopP};max={sampling.MaxTokens};seed={sampling.Seed}");
    }
}

/// <summary>
/// A thin provider: sends one request and streams back the answer with its timings. Retries, limits and caching
/// live once, in the runner; a target reports failures by throwing <see cref="TargetException"/>.
/// </summary>
public interface ITarget : IAsyncDisposable
{
    string Name { get; }

    TargetIdentity Identity { get; }

    Task<TargetResponse> SendAsync(TargetRequest request, CancellationToken cancellationToken);

    /// <summary>Whether the target can score <see cref="TargetRequest.Continuations"/>: it needs the model's log-probabilities of given text.</summary>
    bool CanRankContinuations => false;
}

public enum TargetErrorKind
{
    /// <summary>HTTP 429 or an equivalent overload signal; retryable, honouring RetryAfter.</summary>
    RateLimited,
    /// <summary>HTTP 5xx; retryable.</summary>
    ServerError,
    /// <summary>Refused, reset or broken connection, including a stream cut mid-way; retryable.</summary>
    Connection,
    /// <summary>The per-request timeout elapsed; retryable.</summary>
    Timeout,
    /// <summary>HTTP 4xx other than 429 (bad key, bad request); not retryable.</summary>
    ClientError,
    /// <summary>The server answered with something that does not follow the protocol; not retryable.</summary>
    Protocol,
}

public static class TargetErrorKinds
{
    /// <summary>What an HTTP status says about retrying, whichever client received it.</summary>
    public static TargetErrorKind ForStatus(int status) => status switch
    {
        429 => TargetErrorKind.RateLimited,
        // 529 is Anthropic's "overloaded": the same back-off applies as for a rate limit.
        529 => TargetErrorKind.RateLimited,
        408 => TargetErrorKind.Timeout,
        >= 500 => TargetErrorKind.ServerError,
        _ => TargetErrorKind.ClientError,
    };
}

public sealed class TargetException : Exception
{
    public TargetException(TargetErrorKind kind, string message, TimeSpan? retryAfter = null, int? statusCode = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        RetryAfter = retryAfter;
        StatusCode = statusCode;
    }

    public TargetErrorKind Kind { get; }

    public TimeSpan? RetryAfter { get; }

    public int? StatusCode { get; }

    public bool IsRetryable => Kind is TargetErrorKind.RateLimited or TargetErrorKind.ServerError or TargetErrorKind.Connection or TargetErrorKind.Timeout;
}
