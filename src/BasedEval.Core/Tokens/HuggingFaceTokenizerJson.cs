using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace BasedEval.Core.Tokens;

/// <summary>
/// Reads a Hugging Face tokenizer.json. Byte-level BPE (GPT-2, SmolLM2, Qwen, Llama 3 exports) is built from its vocab,
/// merges, added tokens and pre-tokenizer chain; SentencePiece-style files (Llama 2, Mistral: Metaspace or byte fallback)
/// go to the library's own reader. Anything else is refused by name rather than counted wrongly.
/// </summary>
internal static class HuggingFaceTokenizerJson
{
    /// <summary>GPT-2's split, which the ByteLevel pre-tokenizer applies when <c>use_regex</c> is on.</summary>
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static Tokenizer Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var model = Property(root, "model") ?? throw new InvalidDataException($"{path} has no `model` section");
        var type = Property(model, "type")?.GetString();
        var steps = new List<Regex>();
        var byteLevel = Property(root, "pre_tokenizer") is { } pre && ReadPreTokenizer(pre, steps);
        if (type != "BPE" || !byteLevel)
        {
            using var stream = File.OpenRead(path);
            return type is "Unigram" or "BPE"
                ? SentencePieceTokenizer.CreateFromTokenizerJson(stream, addBeginningOfSentence: false, addEndOfSentence: false)
                : throw new NotSupportedException($"{path} uses a `{type}` model, which is neither byte-level BPE nor SentencePiece");
        }

        var vocabulary = Property(model, "vocab")?.EnumerateObject().Select(p => new KeyValuePair<string, int>(p.Name, p.Value.GetInt32())).ToList()
            ?? throw new InvalidDataException($"{path} has no `model.vocab`");
        var merges = Property(model, "merges")?.EnumerateArray().Select(Merge).ToList() ?? [];
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        if (Property(root, "added_tokens") is { ValueKind: JsonValueKind.Array } added)
        {
            foreach (var token in added.EnumerateArray())
            {
                specials[token.GetProperty("content").GetString()!] = token.GetProperty("id").GetInt32();
            }
        }

        return BpeTokenizer.Create(new BpeOptions(vocabulary)
        {
            Merges = merges,
            ByteLevel = true,
            PreTokenizer = new SequencePreTokenizer(specials.Keys, steps),
            SpecialTokens = specials,
        });
    }

    /// <summary>Merges are written "a b" by older exports and ["a", "b"] by newer ones.</summary>
    internal static string Merge(JsonElement merge) => merge.ValueKind == JsonValueKind.Array
        ? $"{merge[0].GetString()} {merge[1].GetString()}"
        : merge.GetString() ?? throw new InvalidDataException("a merge is neither text nor a pair");

    /// <summary>Adds the regex steps of a pre-tokenizer chain; true where it ends in byte-level encoding.</summary>
    private static bool ReadPreTokenizer(JsonElement node, List<Regex> steps)
    {
        switch (Property(node, "type")?.GetString())
        {
            case "Sequence":
                var byteLevel = false;
                foreach (var inner in node.GetProperty("pretokenizers").EnumerateArray())
                {
                    byteLevel |= ReadPreTokenizer(inner, steps);
                }

                return byteLevel;
            case "ByteLevel":
                if (Property(node, "use_regex")?.GetBoolean() != false)
                {
                    steps.Add(new Regex(Gpt2Pattern, RegexOptions.Compiled));
                }

                return true;
            case "Digits":
                steps.Add(new Regex(Property(node, "individual_digits")?.GetBoolean() == true ? @"\p{N}|[^\p{N}]+" : @"\p{N}+|[^\p{N}]+", RegexOptions.Compiled));
                return false;
            case "Split":
                var pattern = Property(node, "pattern") is { } p
                    ? Property(p, "Regex")?.GetString() ?? Regex.Escape(Property(p, "String")?.GetString() ?? string.Empty)
                    : throw new InvalidDataException("a Split pre-tokenizer has no pattern");
                if (Property(node, "behavior")?.GetString() is not ("Isolated" or null) || Property(node, "invert")?.GetBoolean() == true)
                {
                    throw new NotSupportedException($"a Split pre-tokenizer with behavior `{Property(node, "behavior")?.GetString()}` is not supported; only `Isolated` is");
                }

                steps.Add(new Regex(pattern, RegexOptions.Compiled));
                return false;
            default:
                throw new NotSupportedException($"the `{Property(node, "type")?.GetString()}` pre-tokenizer is not supported");
        }
    }

    private static JsonElement? Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
}
