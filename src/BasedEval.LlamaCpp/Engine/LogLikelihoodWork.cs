namespace BasedEval.LlamaCpp.Engine;

/// <summary>
/// Scores continuations of one context. With prefix reuse the context is decoded once and each continuation is decoded after
/// it, the cache being cut back to the context between choices; without, each choice decodes context and continuation afresh.
/// </summary>
internal sealed class LogLikelihoodWork : SequenceWork
{
    // Target value of the context's last token with prefix reuse: its logits score every continuation's first token.
    private const int AllContinuations = -1;

    // Target value of a token whose logits are not needed.
    private const int NoOutput = -2;

    private readonly int[] _context;
    private readonly int[][] _continuations;
    private readonly bool _reusePrefix;
    private readonly TaskCompletionSource<IReadOnlyList<LogLikelihoodResult>> _completion;
    private readonly double[][] _tokenLogProbabilities;
    private readonly bool[] _greedy;
    private readonly List<(int BatchIndex, Entry Entry)> _pending = [];
    private List<Segment> _segments = [];
    private DecodeLoop _loop = null!;
    private int _sequence;
    private int _segment;
    private int _offset;

    public LogLikelihoodWork(int[] context, int[][] continuations, bool reusePrefix, TaskCompletionSource<IReadOnlyList<LogLikelihoodResult>> completion, CancellationToken cancellationToken)
        : base(cancellationToken)
    {
        _context = context;
        _continuations = continuations;
        _reusePrefix = reusePrefix;
        _completion = completion;
        _tokenLogProbabilities = continuations.Select(c => new double[c.Length]).ToArray();
        _greedy = Enumerable.Repeat(true, continuations.Length).ToArray();
    }

    public override void Start(DecodeLoop loop, int sequence)
    {
        _loop = loop;
        _sequence = sequence;
        var longest = _context.Length + _continuations.Max(c => c.Length);
        if (longest > loop.SequenceLength)
        {
            throw new LlamaPromptTooLongException(longest, loop.SequenceLength);
        }

        _segments = _reusePrefix ? PlanWithPrefixReuse() : PlanSeparately();
    }

    public override void Fill(BatchBuffer batch)
    {
        var entries = _segments[_segment].Entries;
        var count = Math.Min(batch.Remaining, entries.Length - _offset);
        for (var i = 0; i < count; i++, _offset++)
        {
            var entry = entries[_offset];
            var wantLogits = entry.Continuation != NoOutput;
            var index = batch.Add(entry.Token, entry.Position, _sequence, wantLogits);
            if (wantLogits)
            {
                _pending.Add((index, entry));
            }
        }
    }

    public override void Decoded(DecodeLoop loop)
    {
        foreach (var (index, entry) in _pending)
        {
            var row = new LogitRow(loop.Logits(index));
            if (entry.Continuation == AllContinuations)
            {
                for (var j = 0; j < _continuations.Length; j++)
                {
                    Score(j, 0, in row, _continuations[j][0]);
                }
            }
            else
            {
                // The entry at position p predicts the token at p + 1, which is that far into the continuation.
                Score(entry.Continuation, entry.Position + 1 - _context.Length, in row, entry.Target);
            }
        }

        _pending.Clear();
        var segment = _segments[_segment];
        if (_offset < segment.Entries.Length)
        {
            return;
        }

        if (segment.TruncateFrom >= 0)
        {
            loop.Truncate(_sequence, segment.TruncateFrom);
        }

        _segment++;
        _offset = 0;
        if (_segment == _segments.Count)
        {
            var results = new LogLikelihoodResult[_continuations.Length];
            for (var j = 0; j < results.Length; j++)
            {
                var tokens = _tokenLogProbabilities[j];
                results[j] = new LogLikelihoodResult(tokens.Sum(), _greedy[j], tokens.Length) { TokenLogProbabilities = tokens };
            }

            _completion.TrySetResult(results);
            Finish();
        }
    }

    protected override void OnFailed(Exception error)
    {
        if (error is OperationCanceledException canceled)
        {
            _completion.TrySetCanceled(canceled.CancellationToken);
        }
        else
        {
            _completion.TrySetException(error);
        }
    }

    private void Score(int continuation, int index, in LogitRow row, int target)
    {
        _tokenLogProbabilities[continuation][index] = row.LogProbability(target);
        _greedy[continuation] &= row.ArgMax == target;
    }

    private List<Segment> PlanWithPrefixReuse()
    {
        var length = _context.Length;
        var prefix = new Entry[length];
        for (var i = 0; i < length; i++)
        {
            prefix[i] = new Entry(_context[i], i, i == length - 1 ? AllContinuations : NoOutput, 0);
        }

        var segments = new List<Segment> { new(prefix, -1) };
        for (var j = 0; j < _continuations.Length; j++)
        {
            var continuation = _continuations[j];
            if (continuation.Length < 2)
            {
                continue;
            }

            // The last token is only a target: nothing after it is scored, so it is never fed.
            var entries = new Entry[continuation.Length - 1];
            for (var i = 0; i < entries.Length; i++)
            {
                entries[i] = new Entry(continuation[i], length + i, j, continuation[i + 1]);
            }

            segments.Add(new Segment(entries, length));
        }

        return segments;
    }

    private List<Segment> PlanSeparately()
    {
        var length = _context.Length;
        var segments = new List<Segment>();
        for (var j = 0; j < _continuations.Length; j++)
        {
            var whole = _context.Concat(_continuations[j]).ToArray();
            var entries = new Entry[whole.Length - 1];
            for (var i = 0; i < entries.Length; i++)
            {
                entries[i] = i >= length - 1
                    ? new Entry(whole[i], i, j, whole[i + 1])
                    : new Entry(whole[i], i, NoOutput, 0);
            }

            segments.Add(new Segment(entries, 0));
        }

        return segments;
    }

    /// <param name="Continuation">Which continuation this token's logits score: an index, <see cref="AllContinuations"/> or <see cref="NoOutput"/>.</param>
    /// <param name="Target">The token whose probability those logits give.</param>
    private readonly record struct Entry(int Token, int Position, int Continuation, int Target);

    /// <param name="TruncateFrom">Where to cut the cache once the segment is decoded; -1 keeps it.</param>
    private sealed record Segment(Entry[] Entries, int TruncateFrom);

    /// <summary>Log-softmax of one row of logits, computed in double precision, and its first maximum.</summary>
    private readonly ref struct LogitRow
    {
        private readonly ReadOnlySpan<float> _logits;
        private readonly double _logSumExp;

        public LogitRow(ReadOnlySpan<float> logits)
        {
            _logits = logits;
            var max = double.NegativeInfinity;
            var argMax = 0;
            for (var i = 0; i < logits.Length; i++)
            {
                if (logits[i] > max)
                {
                    max = logits[i];
                    argMax = i;
                }
            }

            var sum = 0.0;
            foreach (var logit in logits)
            {
                sum += Math.Exp(logit - max);
            }

            ArgMax = argMax;
            _logSumExp = max + Math.Log(sum);
        }

        public int ArgMax { get; }

        public double LogProbability(int token) => _logits[token] - _logSumExp;
    }
}
