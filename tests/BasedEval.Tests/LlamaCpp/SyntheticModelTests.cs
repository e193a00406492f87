using System.Security.Cryptography;
using BasedEval.Core.Suites;
using BasedEval.LlamaCpp;
using BasedEval.LlamaCpp.Gguf;

namespace BasedEval.Tests.LlamaCpp;

public class SyntheticModelTests
{
    private const string Question = "The following are multiple choice questions (with answers) about physics.\n\nWhat is the SI unit of force?\nA. Joule\nB. Newton\nC. Watt\nD. Pascal\nAnswer:";

    [Fact]
    public void Llama_cpp_loads_it_with_the_metadata_written()
    {
        using var model = SyntheticModels.Load(SyntheticModels.F16);

        Assert.Equal("llama", model.Metadata["general.architecture"]);
        Assert.Equal(ModelSynthesizer.EmbeddingLength, model.EmbeddingLength);
        Assert.Equal(ModelSynthesizer.LayerCount, model.LayerCount);
        Assert.Equal(ModelSynthesizer.ContextLength, model.TrainedContextLength);
        Assert.Equal(1, model.BosToken);
        Assert.Equal(2, model.EosToken);
        Assert.True(model.AddsBos);
        Assert.Contains("F16", model.Description, StringComparison.Ordinal);
        Assert.Equal(ModelSynthesizer.ChatTemplate, model.ChatTemplate);
    }

    [Fact]
    public void Answer_letters_and_the_answer_cue_are_single_tokens()
    {
        using var model = SyntheticModels.Load(SyntheticModels.F16);

        // As in a multiple-choice prompt, the cue starts a line; at the start of a text SentencePiece would add a space.
        var tokens = model.Tokenize("Question\nAnswer: A", addSpecial: false)[^3..];

        Assert.Equal(["Answer", ":", " A"], tokens.Select(t => model.Detokenize([model.BosToken, t])).ToArray());
        foreach (var letter in new[] { " B", " C", " D" })
        {
            var whole = model.Tokenize("Answer:" + letter, addSpecial: false);
            Assert.Equal(3, whole.Length);
            Assert.Equal(letter, model.Detokenize([model.BosToken, whole[^1]]));
        }
    }

    [Theory]
    [InlineData("The following are multiple choice questions", 6)]
    [InlineData("naïve café — 日本語 🚀 7 × 8 = 56", 44)]
    public void Text_round_trips_through_words_and_byte_fallback(string text, int mostTokens)
    {
        using var model = SyntheticModels.Load(SyntheticModels.F16);

        var tokens = model.Tokenize(text, addSpecial: false);

        Assert.Equal(text, model.Detokenize(tokens));
        Assert.InRange(tokens.Length, 1, mostTokens);
    }

    [Fact]
    public void Its_own_chat_template_is_used_and_im_end_ends_a_turn()
    {
        using var model = SyntheticModels.Load(SyntheticModels.F16);

        var prompt = model.ApplyChatTemplate([new ChatMessage("user", "Hi")]);

        Assert.False(prompt.IsFallback);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", prompt.Text);
        var imEnd = Assert.Single(model.Tokenize("<|im_end|>", addSpecial: false, parseSpecial: true));
        Assert.True(model.IsEndOfGeneration(imEnd));
    }

    [Fact]
    public void The_same_seed_writes_the_same_bytes_and_another_seed_other_bytes()
    {
        var folder = Directory.CreateTempSubdirectory("basedeval-synth-").FullName;
        try
        {
            var again = Path.Combine(folder, "again.gguf");
            var other = Path.Combine(folder, "other.gguf");
            ModelSynthesizer.Write(again, SyntheticModels.Seed);
            ModelSynthesizer.Write(other, SyntheticModels.Seed + 1);

            Assert.Equal(Sha256(SyntheticModels.F16), Sha256(again));
            Assert.NotEqual(Sha256(again), Sha256(other));
            Assert.Equal(0, new FileInfo(again).Length % GgufWriter.Alignment);
        }
        finally
        {
            Cleanup.DeleteFolder(folder);
        }
    }

    [Fact]
    public async Task Generation_and_log_likelihoods_repeat_exactly()
    {
        using var model = SyntheticModels.Load(SyntheticModels.F16);
        using var engine = new LlamaEngine(model, new LlamaEngineOptions { ContextSize = 512, Threads = 1 });

        var first = await Generate(engine, Question, 12);
        var second = await Generate(engine, Question, 12);
        var likelihoods = await engine.LogLikelihoodAsync(Question, [" A", " B", " C", " D"], cancellationToken: TestContext.Current.CancellationToken);
        var again = await engine.LogLikelihoodAsync(Question, [" A", " B", " C", " D"], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(12, first.Tokens);
        Assert.Equal(first, second);
        Assert.Equal(likelihoods, again);
        Assert.All(likelihoods, l => Assert.Equal(1, l.TokenCount));
        Assert.All(likelihoods, l => Assert.InRange(l.LogProbability, -30, 0));
    }

    [Fact]
    public async Task Quantization_shrinks_the_file_and_changes_some_answers_but_not_all()
    {
        using var f16 = SyntheticModels.Load(SyntheticModels.F16);
        using var q8 = SyntheticModels.Load(SyntheticModels.Q8);
        using var q4 = SyntheticModels.Load(SyntheticModels.Q4);
        Assert.Contains("Q8_0", q8.Description, StringComparison.Ordinal);
        Assert.Contains("Q4_0", q4.Description, StringComparison.Ordinal);
        Assert.True(new FileInfo(SyntheticModels.Q4).Length < new FileInfo(SyntheticModels.Q8).Length);
        Assert.True(new FileInfo(SyntheticModels.Q8).Length < new FileInfo(SyntheticModels.F16).Length);

        using var baseline = new LlamaEngine(f16, new LlamaEngineOptions { ContextSize = 512, Threads = 1 });
        using var candidate = new LlamaEngine(q4, new LlamaEngineOptions { ContextSize = 512, Threads = 1 });
        var questions = File.ReadLines(Path.Combine(SyntheticModels.RepositoryRoot, "suites/mmlu-sample/test/elementary_mathematics_test.csv")).Take(8).ToArray();
        var same = 0;
        var likelihoodsDiffer = 0;
        foreach (var question in questions)
        {
            var prompt = f16.ApplyChatTemplate([new ChatMessage("user", question)]).Text;
            if (await Generate(baseline, prompt, 8) == await Generate(candidate, prompt, 8))
            {
                same++;
            }

            var a = await baseline.LogLikelihoodAsync(question + "\nAnswer:", [" A", " B", " C", " D"], cancellationToken: TestContext.Current.CancellationToken);
            var b = await candidate.LogLikelihoodAsync(question + "\nAnswer:", [" A", " B", " C", " D"], cancellationToken: TestContext.Current.CancellationToken);
            if (a.Zip(b).Any(p => Math.Abs(p.First.LogProbability - p.Second.LogProbability) > 1e-3))
            {
                likelihoodsDiffer++;
            }
        }

        Assert.InRange(same, 1, questions.Length - 1);
        Assert.Equal(questions.Length, likelihoodsDiffer);
    }

    private static async Task<(string Text, int Tokens)> Generate(LlamaEngine engine, string prompt, int maxTokens)
    {
        var text = "";
        var tokens = 0;
        await foreach (var update in engine.GenerateAsync(prompt, LlamaSampling.Greedy with { MaxTokens = maxTokens }, TestContext.Current.CancellationToken))
        {
            text += update.Text;
            tokens += update.Summary is null ? 1 : 0;
        }

        return (text, tokens);
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
