using BasedEval.LlamaCpp;
using BasedEval.LlamaSharpOracle;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace BasedEval.Benchmarks.LlamaCpp;

/// <summary>
/// The project's binding against LLamaSharp 0.30.0 on the same GGUF, one thread each: 64 greedy tokens after a five-token
/// prompt (one operation is one token), and an MMLU-style item scored as four continuations after its context, the context
/// decoded once (one operation is one item). The binding is the baseline of each category, so Ratio is LLamaSharp's time
/// over the binding's.
/// </summary>
/// <remarks>
/// Each benchmark case runs in a process of its own and its setup loads only its own side: the two llama.cpp builds name
/// their base library alike and cannot share a process. Both sides score the same token ids (the parity tests show the two
/// tokenizers agree), so the figure is decoding and softmax alone.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifecycle: GlobalSetup creates, GlobalCleanup disposes.")]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MinColumn]
[MedianColumn]
public class LlamaSharpComparisonBenchmarks
{
    private const int GeneratedTokens = 64;
    private const int Threads = 1;
    private const string Prompt = "Once upon a time";
    private const string ItemContext = "The following is a multiple choice question about astronomy.\n\nWhich planet is closest to the Sun?\nA. Venus\nB. Mercury\nC. Mars\nD. Earth\nAnswer:";
    private static readonly string[] ItemChoices = [" Venus", " Mercury", " Mars", " Earth"];

    private LlamaModel? _model;
    private LlamaEngine? _engine;
    private LlamaSharpScorer? _llamaSharp;
    private int[] _prompt = [];
    private int[] _context = [];
    private int[][] _continuations = [];

    [GlobalSetup(Targets = [nameof(BindingGreedy), nameof(BindingScoring)])]
    public void SetUpBinding()
    {
        _model = LlamaModel.Load(BenchmarkModel.Path(), gpuLayers: 0);
        _engine = new LlamaEngine(_model, new LlamaEngineOptions { ContextSize = 1024, Threads = Threads });
        _prompt = _model.Tokenize(Prompt, addSpecial: true, parseSpecial: true);
        var pairs = ItemChoices.Select(c => _engine.EncodePair(ItemContext, c)).ToArray();
        _context = pairs[0].Context;
        _continuations = [.. pairs.Select(p => p.Continuation)];
        RequireFullLength(BindingGreedy().GetAwaiter().GetResult());
    }

    [GlobalSetup(Targets = [nameof(LlamaSharpGreedy), nameof(LlamaSharpScoring)])]
    public void SetUpLlamaSharp()
    {
        _llamaSharp = new LlamaSharpScorer(BenchmarkModel.Path(), Threads);
        _prompt = _llamaSharp.Tokenize(Prompt);
        // The item's context ends without a space, so its tokens are a prefix of context + choice's, as lm-eval splits them.
        _context = _llamaSharp.Tokenize(ItemContext);
        _continuations = [.. ItemChoices.Select(c => _llamaSharp.Tokenize(ItemContext + c)[_context.Length..])];
        RequireFullLength(LlamaSharpGreedy());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine?.Dispose();
        _model?.Dispose();
        _llamaSharp?.Dispose();
    }

    [BenchmarkCategory("Greedy"), Benchmark(Baseline = true, OperationsPerInvoke = GeneratedTokens)]
    public Task<int> BindingGreedy() => LlamaThroughputBenchmarks.Drain(_engine!.GenerateAsync(_prompt, LlamaSampling.Greedy with { MaxTokens = GeneratedTokens }));

    [BenchmarkCategory("Greedy"), Benchmark(OperationsPerInvoke = GeneratedTokens)]
    public int LlamaSharpGreedy() => _llamaSharp!.Greedy(_prompt, GeneratedTokens).Tokens.Length;

    [BenchmarkCategory("Scoring"), Benchmark(Baseline = true)]
    public async Task<double> BindingScoring() => (await _engine!.LogLikelihoodAsync(_context, _continuations)).Max(r => r.LogProbability);

    [BenchmarkCategory("Scoring"), Benchmark]
    public double LlamaSharpScoring() => _llamaSharp!.Score(_context, _continuations).Max(tokens => tokens.Sum());

    private static void RequireFullLength(int generated)
    {
        if (generated != GeneratedTokens)
        {
            throw new InvalidOperationException($"The prompt's greedy continuation ends after {generated} tokens; the benchmark needs {GeneratedTokens}");
        }
    }
}
