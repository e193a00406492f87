using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using BasedEval.LlamaCpp.Engine;

namespace BasedEval.LlamaCpp;

/// <summary>
/// Generation and scoring on one loaded model for any number of concurrent callers: up to
/// <see cref="LlamaEngineOptions.ParallelSlots"/> requests run at once (as parallel sequences of one context, or on a pool of
/// contexts, per <see cref="LlamaEngineOptions.Scheduling"/>); the rest wait in arrival order. Does not own the model.
/// </summary>
public sealed class LlamaEngine : IDisposable
{
    private readonly BlockingCollection<SequenceWork> _queue = new(new ConcurrentQueue<SequenceWork>());
    private readonly EngineCounters _counters = new();
    private readonly List<DecodeLoop> _loops = [];
    private int _disposed;

    public LlamaEngine(LlamaModel model, LlamaEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Model = model;
        Options = options;
        try
        {
            if (options.Scheduling == LlamaScheduling.ParallelSequences)
            {
                var threads = options.Threads == 0 ? Environment.ProcessorCount : options.Threads;
                _loops.Add(new DecodeLoop(model, options, options.ParallelSlots, threads, _queue, _counters));
            }
            else
            {
                // ggml's worker threads spin while they wait for each other: contexts that together ask for more threads
                // than there are processors slow down by orders of magnitude, so the automatic setting shares them out.
                var threads = options.Threads == 0 ? Math.Max(1, Environment.ProcessorCount / options.ParallelSlots) : options.Threads;
                for (var i = 0; i < options.ParallelSlots; i++)
                {
                    _loops.Add(new DecodeLoop(model, options, 1, threads, _queue, _counters));
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        SequenceLength = _loops[0].SequenceLength;
    }

    public LlamaModel Model { get; }

    public LlamaEngineOptions Options { get; }

    /// <summary>Tokens one request may hold, prompt and output together (at least <see cref="LlamaEngineOptions.ContextSize"/>).</summary>
    public int SequenceLength { get; }

    public LlamaEngineStatistics Statistics => _counters.Snapshot();

    /// <summary>
    /// Generates from a prompt text. The text is tokenized as llama-server does: BOS added where the model asks for it, and
    /// special-token text (as chat templates write it) read as those tokens.
    /// </summary>
    public IAsyncEnumerable<GenerationUpdate> GenerateAsync(string prompt, LlamaSampling sampling, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return GenerateAsync(Model.Tokenize(prompt, addSpecial: true, parseSpecial: true), sampling, cancellationToken);
    }

    /// <summary>Streams one update per generated token, then a last update with the summary.</summary>
    /// <exception cref="LlamaPromptTooLongException">The prompt leaves no room in a request's context.</exception>
    public async IAsyncEnumerable<GenerationUpdate> GenerateAsync(
        IReadOnlyList<int> promptTokens, LlamaSampling sampling, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        ArgumentNullException.ThrowIfNull(sampling);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        var channel = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        // Linked so that a caller who stops enumerating early also frees the slot.
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _queue.Add(new GenerationWork(promptTokens.ToArray(), sampling, channel.Writer, abandon.Token), CancellationToken.None);
        try
        {
            await foreach (var update in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return update;
            }
        }
        finally
        {
            await abandon.CancelAsync();
        }
    }

    /// <summary>
    /// The log-likelihood of each continuation after <paramref name="context"/>, as lm-evaluation-harness computes it: trailing
    /// spaces of the context move to the continuation, context + continuation is tokenized as one text (BOS first where the
    /// model asks for it) and split at the length of the context's own tokenization.
    /// </summary>
    /// <param name="reusePrefix">Decode the context once and score every continuation from its cached state (the default);
    /// false decodes context and continuation afresh for each choice.</param>
    public Task<IReadOnlyList<LogLikelihoodResult>> LogLikelihoodAsync(
        string context, IReadOnlyList<string> continuations, bool reusePrefix = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuations);
        ArgumentOutOfRangeException.ThrowIfZero(continuations.Count);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        int[]? contextTokens = null;
        var continuationTokens = new int[continuations.Count][];
        for (var j = 0; j < continuations.Count; j++)
        {
            var (own, continuation) = EncodePair(context, continuations[j]);
            contextTokens ??= own;
            if (continuation.Length == 0)
            {
                throw new ArgumentException($"Continuation {j} (\"{continuations[j]}\") has no tokens of its own after the context", nameof(continuations));
            }

            continuationTokens[j] = continuation;
        }

        return LogLikelihoodAsync(contextTokens!, continuationTokens, reusePrefix, cancellationToken);
    }

    /// <summary>The log-likelihood of each continuation after <paramref name="context"/>, all given as tokens.</summary>
    internal Task<IReadOnlyList<LogLikelihoodResult>> LogLikelihoodAsync(
        int[] context, int[][] continuations, bool reusePrefix = true, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var completion = new TaskCompletionSource<IReadOnlyList<LogLikelihoodResult>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add(new LogLikelihoodWork(context, continuations, reusePrefix, completion, cancellationToken), CancellationToken.None);
        return completion.Task;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var loop in _loops)
        {
            loop.Dispose();
        }

        while (_queue.TryTake(out var waiting))
        {
            waiting.Fail(new ObjectDisposedException(nameof(LlamaEngine)));
        }

        _queue.Dispose();
    }

    /// <summary>lm-evaluation-harness's <c>_encode_pair</c>, with BOS where the model adds it.</summary>
    internal (int[] Context, int[] Continuation) EncodePair(string context, string continuation)
    {
        var spaces = context.Length - context.TrimEnd().Length;
        if (spaces > 0)
        {
            continuation = context[^spaces..] + continuation;
            context = context[..^spaces];
        }

        var contextTokens = Model.Tokenize(context, addSpecial: true);
        if (contextTokens.Length == 0)
        {
            // An empty context still needs one token whose logits predict the continuation; lm-eval uses its prefix token.
            contextTokens = [Model.BosToken >= 0 ? Model.BosToken : Model.EosToken];
            return (contextTokens, Model.Tokenize(continuation, addSpecial: false));
        }

        var whole = Model.Tokenize(context + continuation, addSpecial: true);
        return (contextTokens, whole.AsSpan(Math.Min(contextTokens.Length, whole.Length)).ToArray());
    }
}
