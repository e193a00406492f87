using LLama;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;

namespace BasedEval.LlamaSharpOracle;

/// <summary>
/// Greedy generation and token log-probabilities through LLamaSharp and its own llama.cpp build: an implementation that
/// shares no code with BasedEval.LlamaCpp, to check that binding against. One sequence at a time, CPU only.
/// </summary>
public sealed class LlamaSharpScorer : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly GreedySamplingPipeline _greedy = new();
    private readonly LLamaBatch _batch = new();

    public LlamaSharpScorer(string modelPath, int threads, uint contextSize = 1024)
    {
        var parameters = new ModelParams(modelPath)
        {
            ContextSize = contextSize,
            BatchSize = 512,
            GpuLayerCount = 0,
            Threads = threads,
            BatchThreads = threads,
        };
        _weights = LLamaWeights.LoadFromFile(parameters);
        _context = _weights.CreateContext(parameters);
    }

    /// <summary>Token ids of a text, BOS first where the vocabulary asks for it, special-token text read as those tokens.</summary>
    public int[] Tokenize(string text) => _context.Tokenize(text, addBos: true, special: true).Select(t => (int)t).ToArray();

    /// <summary>Greedy continuation of <paramref name="prompt"/>, stopping early at an end-of-generation token.</summary>
    public (int[] Tokens, double[] LogProbabilities) Greedy(IReadOnlyList<int> prompt, int count)
    {
        Reset();
        var tokens = new List<int>(count);
        var logProbabilities = new List<double>(count);
        var position = Feed(prompt, 0);
        while (tokens.Count < count)
        {
            var index = _batch.TokenCount - 1;
            var token = _greedy.Sample(_context.NativeHandle, index);
            if (token.IsEndOfGeneration(_weights.Vocab))
            {
                break;
            }

            tokens.Add((int)token);
            logProbabilities.Add(LogSoftmax(_context.NativeHandle.GetLogitsIth(index), (int)token));
            _batch.Clear();
            _batch.Add(token, position++, LLamaSeqId.Zero, true);
            Decode();
        }

        return (tokens.ToArray(), logProbabilities.ToArray());
    }

    /// <summary>
    /// Each continuation token's log-probability after <paramref name="context"/> and the continuation tokens before it. The
    /// context is decoded once; the cache is cut back to it before each continuation.
    /// </summary>
    public double[][] Score(IReadOnlyList<int> context, IReadOnlyList<int[]> continuations)
    {
        Reset();
        var end = Feed(context, 0);
        var afterContext = _context.NativeHandle.GetLogitsIth(_batch.TokenCount - 1).ToArray();
        var results = new double[continuations.Count][];
        for (var j = 0; j < continuations.Count; j++)
        {
            var continuation = continuations[j];
            var scores = new double[continuation.Length];
            scores[0] = LogSoftmax(afterContext, continuation[0]);
            if (continuation.Length > 1)
            {
                _context.NativeHandle.MemorySequenceRemove(LLamaSeqId.Zero, end, -1);
                _batch.Clear();
                for (var i = 0; i < continuation.Length - 1; i++)
                {
                    _batch.Add(continuation[i], end + i, LLamaSeqId.Zero, true);
                }

                Decode();
                for (var i = 1; i < continuation.Length; i++)
                {
                    scores[i] = LogSoftmax(_context.NativeHandle.GetLogitsIth(i - 1), continuation[i]);
                }
            }

            results[j] = scores;
        }

        return results;
    }

    public void Dispose()
    {
        _greedy.Dispose();
        _context.Dispose();
        _weights.Dispose();
    }

    private void Reset()
    {
        _context.NativeHandle.MemoryClear(true);
        _greedy.Reset();
    }

    /// <summary>Decodes the tokens from <paramref name="start"/> on, logits for the last one only; returns the next position.</summary>
    private int Feed(IReadOnlyList<int> tokens, int start)
    {
        _batch.Clear();
        for (var i = 0; i < tokens.Count; i++)
        {
            _batch.Add(tokens[i], start + i, LLamaSeqId.Zero, i == tokens.Count - 1);
        }

        Decode();
        return start + tokens.Count;
    }

    private void Decode()
    {
        var result = _context.NativeHandle.Decode(_batch);
        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"LLamaSharp's llama_decode returned {result}");
        }
    }

    /// <summary>log p(token) from one row of logits, in double precision.</summary>
    private static double LogSoftmax(ReadOnlySpan<float> logits, int token)
    {
        double max = logits[0];
        foreach (var logit in logits)
        {
            max = Math.Max(max, logit);
        }

        var total = 0.0;
        foreach (var logit in logits)
        {
            total += Math.Exp(logit - max);
        }

        return logits[token] - max - Math.Log(total);
    }
}
