using System.Collections.Concurrent;
using System.Diagnostics;
using BasedEval.LlamaCpp.Interop;

namespace BasedEval.LlamaCpp.Engine;

/// <summary>
/// One llama.cpp context and the thread that owns it. llama_context is not thread-safe, so everything touching it happens on
/// this thread: admit queued work into free sequences, gather one token batch from all active sequences, decode, hand out logits.
/// </summary>
internal sealed unsafe class DecodeLoop : IDisposable
{
    private readonly BlockingCollection<SequenceWork> _queue;
    private readonly EngineCounters _counters;
    private readonly SafeLlamaContextHandle _context;
    private readonly IntPtr _memory;
    private readonly BatchBuffer _batch;
    private readonly Stack<int> _freeSequences;
    private readonly List<(SequenceWork Work, int Sequence)> _active = [];
    private readonly List<(SequenceWork Work, int Sequence)> _filled = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _thread;

    public DecodeLoop(LlamaModel model, LlamaEngineOptions options, int sequences, int threads, BlockingCollection<SequenceWork> queue, EngineCounters counters)
    {
        Model = model;
        _queue = queue;
        _counters = counters;

        var parameters = NativeMethods.llama_context_default_params();
        parameters.NCtx = (uint)(options.ContextSize * sequences);
        parameters.NBatch = (uint)options.BatchSize;
        parameters.NUbatch = (uint)options.BatchSize;
        parameters.NSeqMax = (uint)sequences;
        parameters.NThreads = threads;
        parameters.NThreadsBatch = threads;
        // Each sequence gets its own ContextSize slice of the cache; requests share no prefix worth a unified cache.
        parameters.KvUnified = false;
        parameters.NoPerf = true;
        _context = NativeMethods.llama_init_from_model(model.Handle, parameters);
        if (_context.IsInvalid)
        {
            _context.Dispose();
            throw new LlamaException($"llama.cpp could not create a context of {options.ContextSize} tokens x {sequences} sequences for {model.Path} (out of memory?)");
        }

        _context.KeepAlive(model.Handle);
        _memory = NativeMethods.llama_get_memory(_context);
        SequenceLength = (int)NativeMethods.llama_n_ctx_seq(_context);
        _batch = new BatchBuffer((int)NativeMethods.llama_n_batch(_context));
        _freeSequences = new Stack<int>(Enumerable.Range(0, sequences).Reverse());
        _thread = new Thread(Run) { IsBackground = true, Name = "llama.cpp decode" };
        _thread.Start();
    }

    public LlamaModel Model { get; }

    /// <summary>Tokens one sequence can hold (the requested size, rounded up by llama.cpp to a multiple of 256).</summary>
    public int SequenceLength { get; }

    public SafeLlamaContextHandle Context => _context;

    public int Sample(TokenSampler sampler, int batchIndex)
    {
        var start = Stopwatch.GetTimestamp();
        var token = sampler.Sample(_context, batchIndex, Model.VocabularySize);
        _counters.AddSample(Stopwatch.GetTimestamp() - start);
        return token;
    }

    public ReadOnlySpan<float> Logits(int batchIndex)
    {
        var logits = NativeMethods.llama_get_logits_ith(_context, batchIndex);
        if (logits == null)
        {
            throw new LlamaException($"llama.cpp has no logits for batch index {batchIndex}");
        }

        return new ReadOnlySpan<float>(logits, Model.VocabularySize);
    }

    /// <summary>Drops the cache entries of <paramref name="sequence"/> from <paramref name="fromPosition"/> on.</summary>
    public void Truncate(int sequence, int fromPosition)
    {
        if (!NativeMethods.llama_memory_seq_rm(_memory, sequence, fromPosition, -1))
        {
            throw new LlamaException($"llama.cpp could not truncate sequence {sequence} at position {fromPosition}");
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _thread.Join();
        foreach (var (work, _) in _active)
        {
            work.Fail(new ObjectDisposedException(nameof(LlamaEngine)));
        }

        _active.Clear();
        _batch.Dispose();
        _context.Dispose();
        _stopping.Dispose();
    }

    private void Run()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                if (!Admit())
                {
                    return;
                }

                Step();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Anything escaping here would kill the process from a background thread; the requests in flight carry it instead.
                foreach (var (work, sequence) in _active)
                {
                    work.Fail(e);
                    Release(sequence);
                }

                _active.Clear();
            }
        }
    }

    /// <returns>False when the engine is stopping.</returns>
    private bool Admit()
    {
        while (_freeSequences.Count > 0)
        {
            SequenceWork? work;
            if (_active.Count == 0)
            {
                try
                {
                    work = _queue.Take(_stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
            else if (!_queue.TryTake(out work))
            {
                break;
            }

            if (work.CancellationToken.IsCancellationRequested)
            {
                work.Fail(new OperationCanceledException(work.CancellationToken));
                continue;
            }

            var sequence = _freeSequences.Pop();
            try
            {
                work.Start(this, sequence);
                _active.Add((work, sequence));
            }
            catch (Exception e)
            {
                work.Fail(e);
                Release(sequence);
            }
        }

        return true;
    }

    private void Step()
    {
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            var (work, sequence) = _active[i];
            if (work.CancellationToken.IsCancellationRequested)
            {
                work.Fail(new OperationCanceledException(work.CancellationToken));
                Release(sequence);
                _active.RemoveAt(i);
            }
        }

        _batch.Clear();
        _filled.Clear();
        foreach (var entry in _active)
        {
            if (_batch.Remaining == 0)
            {
                break;
            }

            if (entry.Work.IsFinished)
            {
                continue;
            }

            var before = _batch.Count;
            entry.Work.Fill(_batch);
            if (_batch.Count > before)
            {
                _filled.Add(entry);
            }
        }

        if (_batch.Count > 0)
        {
            var start = Stopwatch.GetTimestamp();
            var result = NativeMethods.llama_decode(_context, _batch.Native);
            _counters.AddDecode(Stopwatch.GetTimestamp() - start);
            if (result != 0)
            {
                var error = new LlamaException($"llama_decode failed with {result} on a batch of {_batch.Count} tokens ({Model.Path})");
                foreach (var (work, _) in _filled)
                {
                    work.Fail(error);
                }
            }
            else
            {
                foreach (var (work, _) in _filled)
                {
                    try
                    {
                        work.Decoded(this);
                    }
                    catch (Exception e)
                    {
                        work.Fail(e);
                    }
                }
            }
        }

        for (var i = _active.Count - 1; i >= 0; i--)
        {
            var (work, sequence) = _active[i];
            if (work.IsFinished)
            {
                Release(sequence);
                _active.RemoveAt(i);
            }
        }
    }

    private void Release(int sequence)
    {
        NativeMethods.llama_memory_seq_rm(_memory, sequence, -1, -1);
        _freeSequences.Push(sequence);
    }
}

/// <summary>Time inside llama_decode and sampling, summed over an engine's loops (which run on their own threads).</summary>
internal sealed class EngineCounters
{
    private long _decodeCalls;
    private long _decodeTicks;
    private long _samples;
    private long _sampleTicks;

    public void AddDecode(long ticks)
    {
        Interlocked.Increment(ref _decodeCalls);
        Interlocked.Add(ref _decodeTicks, ticks);
    }

    public void AddSample(long ticks)
    {
        Interlocked.Increment(ref _samples);
        Interlocked.Add(ref _sampleTicks, ticks);
    }

    public LlamaEngineStatistics Snapshot() => new(
        Interlocked.Read(ref _decodeCalls),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _decodeTicks)),
        Interlocked.Read(ref _samples),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _sampleTicks)));
}
