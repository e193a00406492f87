using System.Text.Json;
using BasedEval.Core.Targets;
using BasedEval.Core.Tokens;
using BasedEval.LlamaCpp;
using FsCheck;
using FsCheck.Fluent;

namespace BasedEval.Tests.Tokens;

/// <summary>Each tokenizer against published ids or the reference implementation, on real vocabularies.</summary>
public class TokenizerVectorTests
{
    private static readonly Lazy<Microsoft.ML.Tokenizers.Tokenizer> Llama3 = new(() =>
    {
        var folder = SharedData.Require("tokenizers/llama3.2_bpe");
        return TokenCounters.Library(new TokenizerSpec(TokenizerKind.BytePairFiles, "bpe", [Path.Combine(folder, "encoder.json"), Path.Combine(folder, "vocab.bpe")]));
    });

    // tiktoken's published ids (its own tests and every port that checks against them).
    [Theory]
    [InlineData("cl100k_base", "hello world", new[] { 15339, 1917 })]
    [InlineData("cl100k_base", " 日本語とEnglish 12345!\n", new[] { 76502, 22656, 45918, 252, 19732, 23392, 220, 4513, 1774, 4999 })]
    [InlineData("cl100k_base", "\u001ca", new[] { 216, 64 })]
    [InlineData("cl100k_base", "a\n\n", new[] { 64, 271 })]
    [InlineData("cl100k_base", "!hello1234567", new[] { 0, 15339, 4513, 10961, 22 })]
    [InlineData("o200k_base", "hello world", new[] { 24912, 2375 })]
    [InlineData("o200k_base", " 日本語とEnglish 12345!\n", new[] { 17428, 40909, 5330, 28881, 220, 7633, 2548, 4175 })]
    [InlineData("o200k_base", "\u001ca", new[] { 216, 64 })]
    [InlineData("o200k_base", "a\n\n", new[] { 64, 279 })]
    public void Tiktoken_encodings_give_the_published_ids(string encoding, string text, int[] expected)
    {
        var tokenizer = TokenCounters.Library(new TokenizerSpec(TokenizerKind.Tiktoken, encoding, []));

        Assert.Equal(expected, tokenizer.EncodeToIds(text));
        Assert.Equal(expected.Length, tokenizer.CountTokens(text));
    }

    [Fact]
    public void Llama3_byte_pair_files_give_every_reference_vector()
    {
        using var vectors = JsonDocument.Parse(File.ReadAllText(SharedData.Require("tokenizers/llama3.2_bpe/test_vectors_from_ollama.json")));
        var checkedCount = 0;
        foreach (var vector in vectors.RootElement.GetProperty("encode").EnumerateArray())
        {
            var text = vector.GetProperty("text").GetString()!;
            Assert.Equal(vector.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray(), Llama3.Value.EncodeToIds(text).ToArray());
            checkedCount++;
        }

        foreach (var text in vectors.RootElement.GetProperty("roundtrip_only").EnumerateArray().Select(t => t.GetString()!))
        {
            Assert.Equal(text, Llama3.Value.Decode(Llama3.Value.EncodeToIds(text)));
            checkedCount++;
        }

        Assert.Equal(22, checkedCount);
    }

    [Fact]
    public void Llama3_pre_tokenizer_splits_as_the_reference()
    {
        using var vectors = JsonDocument.Parse(File.ReadAllText(SharedData.Require("tokenizers/llama3.2_bpe/test_vectors_from_ollama.json")));
        var splitter = Llama3.Value.PreTokenizer!;
        foreach (var vector in vectors.RootElement.GetProperty("pretokenize_split").EnumerateArray())
        {
            var text = vector.GetProperty("text").GetString()!;
            var pieces = splitter.PreTokenize(text).Select(p => text.Substring(p.Offset, p.Length)).ToArray();
            Assert.Equal(vector.GetProperty("pieces").EnumerateArray().Select(p => p.GetString()!).ToArray(), pieces);
        }
    }

    [Fact]
    public void SmolLM2_tokenizer_json_gives_the_ids_of_hugging_faces_own_tokenizer_on_real_conversations()
    {
        var path = SharedData.Require("tokenizers/smollm2/tokenizer.json");
        var ours = TokenCounters.Library(new TokenizerSpec(TokenizerKind.TokenizerJson, "tokenizer.json", [path]));
        var reference = new Tokenizers.DotNet.Tokenizer(vocabPath: path);
        var texts = ShareGptTexts(400).Append("<|im_start|>user\nhi<|im_end|>").Append("a  1\n\n\tb 12345 x").ToList();

        foreach (var text in texts)
        {
            Assert.Equal(reference.Encode(text).Select(i => (int)i).ToArray(), ours.EncodeToIds(text).ToArray());
        }
    }

    [Fact]
    public void The_gguf_counter_counts_as_the_engine_tokenizes_with_the_model_loaded_whole()
    {
        var modelPath = SharedData.Require("models/llama-2-tiny-random.gguf");
        var counter = GgufTokenCounter.Load(modelPath);
        using var model = LlamaModel.Load(modelPath, gpuLayers: 0);
        var texts = ShareGptTexts(200).ToList();

        Assert.All(texts, text => Assert.Equal(model.Tokenize(text, addSpecial: false).Length, counter.Count(text)));
        Assert.Equal("gguf:llama-2-tiny-random", counter.Name);
        // The vocabulary is Llama 2's SentencePiece, not the estimate's four characters: the totals must differ.
        Assert.NotEqual(texts.Sum(TokenEstimate.Count), texts.Sum(counter.Count));
    }

    [Fact]
    public void Byte_level_bpe_decodes_what_it_encoded_for_any_text()
    {
        var tokenizer = Llama3.Value;
        Prop.ForAll(ArbMap.Default.ArbFor<NonNull<string>>(), text =>
        {
            // Lone surrogates have no UTF-8 form; tokenizers replace them, so only well-formed text round-trips.
            var s = text.Get;
            return !System.Text.Unicode.Utf8.IsValid(System.Text.Encoding.UTF8.GetBytes(s)) || s.Contains("<|", StringComparison.Ordinal)
                || tokenizer.Decode(tokenizer.EncodeToIds(s)) == s;
        }).QuickCheckThrowOnFailure();
    }

    internal static IEnumerable<string> ShareGptTexts(int conversations)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(SharedData.Require("workload/ShareGPT_V3_filtered_1000.json")));
        return document.RootElement.EnumerateArray().Take(conversations)
            .SelectMany(c => c.GetProperty("conversations").EnumerateArray().Select(t => t.GetProperty("value").GetString()!))
            .ToList();
    }
}
