using BasedEval.LlamaCpp;

namespace BasedEval.Tests.LlamaCpp;

/// <summary>
/// The project's llama.cpp binding against LLamaSharp 0.30.0 with its own llama.cpp build, in a process of its own, on the
/// same GGUF files and one thread each: the same greedy tokens, and the same log-probability for every generated token and
/// every token of an MMLU-style item's four continuations.
/// </summary>
/// <remarks>
/// Both sides run ggml's CPU kernels on the same weights, but different llama.cpp releases compiled for different instruction
/// sets (this binding picks the best CPU variant at run time; LLamaSharp its AVX2 or AVX-512 build), so sums are accumulated in
/// different orders and float rounding may differ. <see cref="Tolerance"/> bounds that where both decode the same shapes:
/// 1e-3 nats is a 0.1 % change in a probability, while a real fault (another token, position or BOS, a wrong softmax, a
/// stale cache) moves a log-probability by far more. Measured here the two agree to the last bit.
/// </remarks>
public sealed class LlamaSharpParityTests
{
    private const double Tolerance = 1e-3;

    // LLamaSharp's log-probabilities recorded while it generates come from one-token decodes (matrix-vector kernels), the
    // engine's scoring from one batch (matrix-matrix kernels): the same token's value then differs by rounding alone, up to
    // 2.6e-3 nats measured on the synthesized f16 model.
    private const double PathTolerance = 1e-2;
    private const int GeneratedTokens = 16;
    private const int Threads = 1;

    private static readonly string[] Prompts =
    [
        "Once upon a time",
        "The capital of France is",
        "def fibonacci(n):",
        "1, 2, 3, 4,",
        "Question: Which gas do plants take in from the air?\nAnswer:",
    ];

    private const string ItemContext = "The following is a multiple choice question about astronomy.\n\nWhich planet is closest to the Sun?\nA. Venus\nB. Mercury\nC. Mars\nD. Earth\nAnswer:";

    private static readonly string[] ItemChoices = [" Venus", " Mercury", " Mars", " Earth"];

    public static TheoryData<string> Models => new() { "shared llama-2-tiny-random", "synthesized f16", "synthesized q8_0", "synthesized q4_0" };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Greedy_tokens_and_their_log_probabilities_match_LLamaSharp(string model)
    {
        await using var sides = await BothSides.StartAsync(ModelPath(model));
        var (own, engine, oracle) = (sides.Model, sides.Engine, sides.Oracle);

        var agreeing = 0;
        var compared = 0;
        var largest = 0.0;
        var acrossPaths = 0.0;
        foreach (var prompt in Prompts)
        {
            var promptTokens = own.Tokenize(prompt, addSpecial: true, parseSpecial: true);
            var tokens = new List<int>();
            await foreach (var update in engine.GenerateAsync(prompt, LlamaSampling.Greedy with { MaxTokens = GeneratedTokens }, TestContext.Current.CancellationToken))
            {
                if (update.Summary is null)
                {
                    tokens.Add(update.TokenId);
                }
            }

            var expected = await oracle.GreedyAsync(prompt, GeneratedTokens);
            Assert.Equal(expected.PromptTokens, promptTokens);
            Assert.Equal(expected.Tokens, tokens);
            agreeing += tokens.Count;
            compared += expected.Tokens!.Length;

            // Both sides score the generated tokens as one batch after the prompt, so both run the same kernels on the same shapes.
            var scored = (await engine.LogLikelihoodAsync(promptTokens, [[.. tokens]], cancellationToken: TestContext.Current.CancellationToken))[0];
            Assert.True(scored.IsGreedy, "a greedily generated token is not the most likely one in the engine's own scoring");
            var oracleScored = (await oracle.ScoreAsync(promptTokens, [[.. tokens]])).ContinuationLogProbabilities![0];
            for (var i = 0; i < tokens.Count; i++)
            {
                var difference = Math.Abs(scored.TokenLogProbabilities[i] - oracleScored[i]);
                largest = Math.Max(largest, difference);
                Assert.True(difference <= Tolerance, $"{model}, \"{prompt}\", token {i}: log p {scored.TokenLogProbabilities[i]:R} here, {oracleScored[i]:R} in LLamaSharp");
                acrossPaths = Math.Max(acrossPaths, Math.Abs(scored.TokenLogProbabilities[i] - expected.LogProbabilities![i]));
            }
        }

        Assert.True(acrossPaths <= PathTolerance, $"{model}: a token decoded alone and within a batch differ by {acrossPaths:E2} nats");
        TestContext.Current.TestOutputHelper?.WriteLine($"{model}: greedy tokens agree {agreeing}/{compared} over {Prompts.Length} prompts; max |Δ log p| {largest:E2} nats (tolerance {Tolerance:E0}); one-token decode against batch {acrossPaths:E2}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task An_mmlu_items_continuation_log_likelihoods_match_LLamaSharp(string model)
    {
        await using var sides = await BothSides.StartAsync(ModelPath(model));
        var (_, engine, oracle) = (sides.Model, sides.Engine, sides.Oracle);

        var scored = await engine.LogLikelihoodAsync(ItemContext, ItemChoices, cancellationToken: TestContext.Current.CancellationToken);
        var pairs = ItemChoices.Select(c => engine.EncodePair(ItemContext, c)).ToArray();
        var expected = await oracle.ScoreAsync(pairs[0].Context, [.. pairs.Select(p => p.Continuation)]);

        var largest = 0.0;
        for (var j = 0; j < ItemChoices.Length; j++)
        {
            var tokens = expected.ContinuationLogProbabilities![j];
            Assert.Equal(tokens.Length, scored[j].TokenCount);
            var difference = Math.Abs(scored[j].LogProbability - tokens.Sum());
            largest = Math.Max(largest, difference);
            Assert.True(difference <= Tolerance * tokens.Length, $"{model}, choice \"{ItemChoices[j]}\": log-likelihood {scored[j].LogProbability:R} here, {tokens.Sum():R} in LLamaSharp");
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{model}: 4 continuations ({scored.Sum(s => s.TokenCount)} tokens), max |Δ log-likelihood| {largest:E2} nats");
    }

    private static string ModelPath(string model) => model switch
    {
        "synthesized f16" => SyntheticModels.F16,
        "synthesized q8_0" => SyntheticModels.Q8,
        "synthesized q4_0" => SyntheticModels.Q4,
        _ => TinyLlama.RequirePath(),
    };

    /// <summary>The model loaded by this binding with an engine of one thread, and the oracle on the same file.</summary>
    private sealed class BothSides(LlamaModel model, LlamaEngine engine, LlamaSharpOracle oracle) : IAsyncDisposable
    {
        public LlamaModel Model => model;

        public LlamaEngine Engine => engine;

        public LlamaSharpOracle Oracle => oracle;

        public static async Task<BothSides> StartAsync(string path)
        {
            var model = LlamaModel.Load(path, gpuLayers: 0);
            var engine = new LlamaEngine(model, new LlamaEngineOptions { ContextSize = 1024, Threads = Threads });
            return new BothSides(model, engine, await LlamaSharpOracle.StartAsync(path, Threads));
        }

        public async ValueTask DisposeAsync()
        {
            await oracle.DisposeAsync();
            engine.Dispose();
            model.Dispose();
        }
    }
}
