using System.Diagnostics;
using System.Text;
using System.Text.Json;
using BasedEval.Benchmarks.LlamaCpp;
using BasedEval.Core.Config;
using BasedEval.Core.Targets;
using BasedEval.Core.Tokens;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace BasedEval.Benchmarks.Workload;

/// <summary>
/// Counting the 1,000 real ShareGPT prompts (about 0.8 MB of text) with o200k and with Llama 3's BPE, against the old
/// four-characters-a-token estimate as the reference: the ratio is what exact counts cost per workload. Loading each
/// tokenizer happens once per process and is timed in the setup, printed as a comment line.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class TokenCountingBenchmarks
{
    private List<string> _texts = null!;
    private ITokenCounter _o200k = null!;
    private ITokenCounter _llama3 = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(BenchmarkModel.SharedFile("workload/ShareGPT_V3_filtered_1000.json")));
        _texts = [.. document.RootElement.EnumerateArray().SelectMany(c => c.GetProperty("conversations").EnumerateArray().Select(t => t.GetProperty("value").GetString()!))];
        _o200k = Timed("o200k_base", () => TokenCounters.For(Target("gpt-4o", null)));
        var llama = BenchmarkModel.SharedFile("tokenizers/llama3.2_bpe");
        _llama3 = Timed("llama3.2 bpe", () => TokenCounters.For(Target("llama", new TokenizerSpec(TokenizerKind.BytePairFiles, "bpe", [Path.Combine(llama, "encoder.json"), Path.Combine(llama, "vocab.bpe")]))));
        Console.WriteLine($"// {_texts.Count} texts, {_texts.Sum(t => Encoding.UTF8.GetByteCount(t)) / 1024} KiB: estimate {_texts.Sum(TokenEstimate.Count)}, o200k {_texts.Sum(_o200k.Count)}, llama3 {_texts.Sum(_llama3.Count)} tokens");
    }

    [Benchmark(Baseline = true)]
    public long Estimate() => _texts.Sum(t => (long)TokenEstimate.Count(t));

    [Benchmark]
    public long O200k() => _texts.Sum(t => (long)_o200k.Count(t));

    [Benchmark]
    public long Llama3Bpe() => _texts.Sum(t => (long)_llama3.Count(t));

    private static ITokenCounter Timed(string name, Func<ITokenCounter> load)
    {
        var clock = Stopwatch.StartNew();
        var counter = load();
        Console.WriteLine($"// {name} loaded in {clock.Elapsed.TotalMilliseconds:0} ms");
        return counter;
    }

    private static TargetConfig Target(string model, TokenizerSpec? tokenizer) =>
        new(model, ProviderKind.OpenAi, model, null, null, Prices.Free, 1, TimeSpan.FromSeconds(1), 0, new SamplingConfig(null, null, null, null), null, default)
        {
            ConfiguredTokenizer = tokenizer,
        };
}
