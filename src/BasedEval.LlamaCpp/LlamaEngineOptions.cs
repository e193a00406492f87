namespace BasedEval.LlamaCpp;

/// <summary>How requests in flight share one model.</summary>
public enum LlamaScheduling
{
    /// <summary>
    /// One context holding a sequence per slot; every step decodes the slots' tokens together in one batch, so the weights are
    /// read once per step for all requests. The default: real models are bound by memory bandwidth, which batching shares.
    /// </summary>
    ParallelSequences = 0,

    /// <summary>
    /// One context per slot, each decoding its own request on its own thread. Faster where the per-token cost does not
    /// shrink with batching (a tiny model whose weights sit in cache); see LlamaSchedulingBenchmarks.
    /// </summary>
    ContextPool = 1,
}

public sealed record LlamaEngineOptions
{
    /// <summary>Tokens each request may hold, prompt and output together.</summary>
    public int ContextSize { get; init; } = 4096;

    /// <summary>CPU threads per context; 0 uses every processor, shared out among the contexts of a pool.</summary>
    public int Threads { get; init; }

    /// <summary>Most tokens handed to one llama_decode call (prompts longer than this are processed in chunks).</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>Requests served at once; more wait for a free slot.</summary>
    public int ParallelSlots { get; init; } = 1;

    public LlamaScheduling Scheduling { get; init; } = LlamaScheduling.ParallelSequences;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ContextSize, 16, nameof(ContextSize));
        ArgumentOutOfRangeException.ThrowIfNegative(Threads, nameof(Threads));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(ParallelSlots, 1, nameof(ParallelSlots));
        // llama.cpp's limit on sequences per context (LLAMA_MAX_SEQ).
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ParallelSlots, 256, nameof(ParallelSlots));
    }
}

/// <summary>Sampling for one generation: greedy unless a positive temperature is given.</summary>
/// <param name="MaxTokens">Most tokens to generate; null runs until an end-of-generation token or the context is full.</param>
/// <param name="Seed">Seed of the random draw when sampling; null draws a fresh one.</param>
public sealed record LlamaSampling(float Temperature = 0, float? TopP = null, uint? Seed = null, int? MaxTokens = null)
{
    public static LlamaSampling Greedy { get; } = new();

    /// <summary>A GBNF grammar every generated text must follow; null leaves the output free.</summary>
    public LlamaGrammar? Grammar { get; init; }

    public bool IsGreedy => Temperature <= 0;
}

/// <summary>A GBNF grammar with start symbol <c>root</c>.</summary>
/// <param name="Trigger">
/// When set, the output is free until this text appears and follows the grammar from its start on (a lazy grammar, the way
/// llama-server constrains tool calls while letting the model answer in prose instead).
/// </param>
public sealed record LlamaGrammar(string Text, string? Trigger = null);

public enum LlamaFinishReason
{
    /// <summary>The model produced an end-of-generation token.</summary>
    Stop = 0,

    /// <summary>The token limit or the context size was reached.</summary>
    Length = 1,
}

/// <summary>
/// One step of a streamed generation. Token updates carry one generated token and the text it completes (empty while a
/// multi-byte character is still partial); the last update has <see cref="Summary"/> set, TokenId -1, and any text left over.
/// Timestamps are <see cref="System.Diagnostics.Stopwatch"/> ticks taken when the token was sampled.
/// </summary>
public readonly record struct GenerationUpdate(int TokenId, string Text, long Timestamp, GenerationSummary? Summary);

/// <param name="StartTimestamp">Stopwatch ticks just before prompt processing began.</param>
/// <param name="EndTimestamp">Stopwatch ticks when generation ended.</param>
public sealed record GenerationSummary(LlamaFinishReason FinishReason, int PromptTokens, int OutputTokens, long StartTimestamp, long EndTimestamp);

/// <summary>A continuation's log-likelihood given its context, as lm-evaluation-harness reports it.</summary>
/// <param name="LogProbability">Sum of the natural-log probabilities of the continuation's tokens.</param>
/// <param name="IsGreedy">Whether every continuation token was the most likely next token.</param>
/// <param name="TokenCount">Tokens in the continuation.</param>
public sealed record LogLikelihoodResult(double LogProbability, bool IsGreedy, int TokenCount)
{
    /// <summary>Each continuation token's natural-log probability, in order; they add up to <see cref="LogProbability"/>.</summary>
    public IReadOnlyList<double> TokenLogProbabilities { get; init; } = [];

    // Two scorings agree when every token does, not when they share a list.
    public bool Equals(LogLikelihoodResult? other) =>
        other is not null && LogProbability.Equals(other.LogProbability) && IsGreedy == other.IsGreedy && TokenCount == other.TokenCount
        && TokenLogProbabilities.SequenceEqual(other.TokenLogProbabilities);

    public override int GetHashCode() => HashCode.Combine(LogProbability, IsGreedy, TokenCount);
}

/// <summary>Cumulative time spent inside llama.cpp by an engine, to separate the binding's own cost from llama.cpp's.</summary>
public sealed record LlamaEngineStatistics(long DecodeCalls, TimeSpan DecodeTime, long SampledTokens, TimeSpan SampleTime);
