using BasedEval.LlamaCpp;
using BasedEval.LlamaCpp.Grammar;
using BenchmarkDotNet.Attributes;

namespace BasedEval.Benchmarks.LlamaCpp;

/// <summary>
/// What a schema grammar costs per generated token: the same 64 greedy tokens free and inside a JSON string the grammar
/// keeps open (the grammar checks every vocabulary entry at each step). The Ratio column is the figure.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifecycle: GlobalSetup creates, GlobalCleanup disposes.")]
[MinColumn]
[MedianColumn]
public class GrammarSamplingBenchmarks
{
    private const int GeneratedTokens = 64;

    private LlamaModel _model = null!;
    private LlamaEngine _engine = null!;
    private int[] _prompt = [];
    private LlamaSampling _constrained = LlamaSampling.Greedy;

    [GlobalSetup]
    public void Setup()
    {
        _model = LlamaModel.Load(BenchmarkModel.Path(), gpuLayers: 0);
        _engine = new LlamaEngine(_model, new LlamaEngineOptions { ContextSize = 512, Threads = 1 });
        _prompt = _model.Tokenize("Once upon a time");
        var grammar = JsonSchemaGrammar.ForResponse("""{"type":"object","properties":{"story":{"type":"string"}},"required":["story"]}""");
        _constrained = LlamaSampling.Greedy with { MaxTokens = GeneratedTokens, Grammar = new LlamaGrammar(grammar.Text) };
        foreach (var sampling in new[] { LlamaSampling.Greedy with { MaxTokens = GeneratedTokens }, _constrained })
        {
            var generated = LlamaThroughputBenchmarks.Drain(_engine.GenerateAsync(_prompt, sampling)).GetAwaiter().GetResult();
            if (generated != GeneratedTokens)
            {
                throw new InvalidOperationException($"Greedy generation ends after {generated} tokens; the benchmark needs {GeneratedTokens}");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _model.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = GeneratedTokens)]
    public Task<int> Free() => LlamaThroughputBenchmarks.Drain(_engine.GenerateAsync(_prompt, LlamaSampling.Greedy with { MaxTokens = GeneratedTokens }));

    [Benchmark(OperationsPerInvoke = GeneratedTokens)]
    public Task<int> SchemaGrammar() => LlamaThroughputBenchmarks.Drain(_engine.GenerateAsync(_prompt, _constrained));
}
