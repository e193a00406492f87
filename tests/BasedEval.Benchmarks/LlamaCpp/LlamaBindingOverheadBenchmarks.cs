using System.Diagnostics;
using BasedEval.LlamaCpp;
using BasedEval.LlamaCpp.Engine;
using BasedEval.LlamaCpp.Interop;
using BenchmarkDotNet.Attributes;

namespace BasedEval.Benchmarks.LlamaCpp;

/// <summary>
/// What the binding costs per generated token beyond llama.cpp's own work. Two views: the same greedy generation as bare
/// llama_decode + llama_sampler_sample calls (the baseline) and through the engine; and, printed at cleanup, the engine's
/// wall time minus the time its counters saw inside llama_decode and sampling, per token.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifecycle: GlobalSetup creates, GlobalCleanup disposes.")]
[MinColumn]
[MedianColumn]
public class LlamaBindingOverheadBenchmarks
{
    private const int GeneratedTokens = 64;

    private LlamaModel _model = null!;
    private LlamaEngine _engine = null!;
    private SafeLlamaContextHandle _context = null!;
    private TokenSampler _sampler = null!;
    private BatchBuffer _batch = null!;
    private IntPtr _memory;
    private int[] _prompt = [];
    private readonly List<double> _overheadPerToken = [];

    [GlobalSetup]
    public void Setup()
    {
        _model = LlamaModel.Load(BenchmarkModel.Path(), gpuLayers: 0);
        _engine = new LlamaEngine(_model, new LlamaEngineOptions { ContextSize = 512, Threads = 1 });
        _prompt = _model.Tokenize("Once upon a time");

        var parameters = NativeMethods.llama_context_default_params();
        parameters.NCtx = 512;
        parameters.NBatch = 512;
        parameters.NUbatch = 512;
        parameters.NSeqMax = 1;
        parameters.NThreads = 1;
        parameters.NThreadsBatch = 1;
        parameters.NoPerf = true;
        _context = NativeMethods.llama_init_from_model(_model.Handle, parameters);
        _memory = NativeMethods.llama_get_memory(_context);
        _sampler = TokenSampler.Create(_model, LlamaSampling.Greedy);
        _batch = new BatchBuffer(512);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_overheadPerToken.Count > 0)
        {
            // On a shared machine preemption lands outside the native calls too; the minimum and median show the binding's own cost.
            _overheadPerToken.Sort();
            Console.WriteLine(
                $"// Binding overhead per generated token over {_overheadPerToken.Count} generations: " +
                $"min {_overheadPerToken[0]:F2} µs, median {_overheadPerToken[_overheadPerToken.Count / 2]:F2} µs, mean {_overheadPerToken.Average():F2} µs");
        }

        _batch.Dispose();
        _sampler.Dispose();
        _context.Dispose();
        _engine.Dispose();
        _model.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = GeneratedTokens)]
    public int NativeCallsOnly()
    {
        NativeMethods.llama_memory_seq_rm(_memory, 0, -1, -1);
        _batch.Clear();
        for (var i = 0; i < _prompt.Length; i++)
        {
            _batch.Add(_prompt[i], i, 0, i == _prompt.Length - 1);
        }

        NativeMethods.llama_decode(_context, _batch.Native);
        var position = _prompt.Length;
        var token = 0;
        for (var generated = 0; generated < GeneratedTokens; generated++)
        {
            token = _sampler.Sample(_context, _batch.Count - 1, _model.VocabularySize);
            if (generated == GeneratedTokens - 1)
            {
                break;
            }

            _batch.Clear();
            _batch.Add(token, position++, 0, true);
            NativeMethods.llama_decode(_context, _batch.Native);
        }

        return token;
    }

    [Benchmark(OperationsPerInvoke = GeneratedTokens)]
    public async Task<int> ThroughEngine()
    {
        var before = _engine.Statistics;
        var start = Stopwatch.GetTimestamp();
        var tokens = await LlamaThroughputBenchmarks.Drain(_engine.GenerateAsync(_prompt, LlamaSampling.Greedy with { MaxTokens = GeneratedTokens }));
        var wall = Stopwatch.GetElapsedTime(start);
        var after = _engine.Statistics;
        var inside = after.DecodeTime - before.DecodeTime + (after.SampleTime - before.SampleTime);
        _overheadPerToken.Add((wall - inside).TotalMicroseconds / tokens);
        return tokens;
    }
}
