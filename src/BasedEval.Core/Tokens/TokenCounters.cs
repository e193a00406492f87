using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using BasedEval.Core.Config;
using BasedEval.Core.Targets;
using Microsoft.ML.Tokenizers;

namespace BasedEval.Core.Tokens;

/// <summary>
/// Loads tokenizers once per process: reading a vocabulary takes from half a second (o200k) to several (Llama 3's 280k
/// merges), far more than counting a whole workload. The GGUF loader is registered by the llama.cpp assembly so that
/// Core never loads native code.
/// </summary>
public static class TokenCounters
{
    /// <summary>Llama 3's pre-tokenizer (the same as cl100k's): the split BPE merges never cross.</summary>
    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static readonly ConcurrentDictionary<string, Lazy<ITokenCounter>> Loaded = new(StringComparer.Ordinal);
    private static Func<string, ITokenCounter>? _ggufLoader;

    /// <summary>Called once by the assembly that can read GGUF vocabularies.</summary>
    public static void RegisterGguf(Func<string, ITokenCounter> loader) => _ggufLoader = loader;

    /// <summary>
    /// The target's counter. A tokenizer file that cannot be read is a configuration error naming evals.yaml, the target
    /// and the fix, since the file was checked to exist when the config was loaded.
    /// </summary>
    public static ITokenCounter For(TargetConfig target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var spec = target.Tokenizer;
        var lazy = Loaded.GetOrAdd(spec.CacheKey, _ => new Lazy<ITokenCounter>(() => Load(spec), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or ArgumentException or InvalidOperationException or System.Text.Json.JsonException or NotSupportedException or UnauthorizedAccessException)
        {
            Loaded.TryRemove(spec.CacheKey, out _);
            throw new ConfigException(target.Location.File, target.Location.Line, target.Location.Column,
                $"target `{target.Name}` cannot load its tokenizer {spec.Name}: {e.Message}",
                spec.Kind == TokenizerKind.Gguf
                    ? "check `model_path:`: the model file must exist and be intact for its vocabulary to count tokens"
                    : "point `tokenizer:` at an intact file (tokenizer.json, encoder.json + vocab.bpe, a SentencePiece .model), or name o200k_base or cl100k_base");
        }
    }

    private static ITokenCounter Load(TokenizerSpec spec) => spec.Kind switch
    {
        TokenizerKind.Gguf => (_ggufLoader ?? throw new NotSupportedException("this build cannot read GGUF vocabularies"))(spec.Paths[0]),
        TokenizerKind.Estimate => EstimateCounter.Instance,
        _ => new LibraryCounter(spec.Name, Library(spec)),
    };

    /// <summary>The library tokenizer behind a spec, uncached: for counting, <see cref="For"/> is the way in.</summary>
    internal static Tokenizer Library(TokenizerSpec spec) => spec.Kind switch
    {
        TokenizerKind.Tiktoken => TiktokenTokenizer.CreateForEncoding(spec.Encoding),
        TokenizerKind.BytePairFiles => LoadBytePairFiles(spec.Paths[0], spec.Paths[1]),
        TokenizerKind.TokenizerJson => HuggingFaceTokenizerJson.Load(spec.Paths[0]),
        TokenizerKind.SentencePiece => LoadSentencePiece(spec.Paths[0]),
        _ => throw new NotSupportedException($"{spec.Name} is not read by the tokenizer library"),
    };

    /// <summary>
    /// An encoder.json + vocab.bpe pair is GPT-2's layout, but the library's defaults split words its own way: the
    /// byte-level encoding and the model's pre-tokenizer regex must be set, or Llama 3 gives "hello world" as
    /// [15339, 14957] instead of [15339, 1917]. Special tokens past the vocabulary are added as Llama 3 defines them.
    /// </summary>
    private static BpeTokenizer LoadBytePairFiles(string encoderJson, string vocabBpe)
    {
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        var count = CountEntries(encoderJson);
        if (count == 128_000)
        {
            specials["<|begin_of_text|>"] = 128_000;
            specials["<|end_of_text|>"] = 128_001;
        }

        return BpeTokenizer.Create(new BpeOptions(encoderJson, vocabBpe)
        {
            ByteLevel = true,
            PreTokenizer = new SequencePreTokenizer(specials.Keys, [new Regex(Llama3Pattern, RegexOptions.Compiled)]),
            SpecialTokens = specials,
        });
    }

    private static int CountEntries(string encoderJson)
    {
        using var stream = File.OpenRead(encoderJson);
        using var document = System.Text.Json.JsonDocument.Parse(stream);
        return document.RootElement.EnumerateObject().Count();
    }

    private static SentencePieceTokenizer LoadSentencePiece(string modelFile)
    {
        using var stream = File.OpenRead(modelFile);
        return SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false);
    }

    private sealed class LibraryCounter(string name, Tokenizer tokenizer) : ITokenCounter
    {
        public string Name { get; } = name;

        public int Count(string text) => string.IsNullOrEmpty(text) ? 0 : tokenizer.CountTokens(text);
    }
}

/// <summary>The four-characters-a-token rule as a counter, for models whose tokenizer is not known; its counts are marked estimated.</summary>
public sealed class EstimateCounter : ITokenCounter
{
    public static EstimateCounter Instance { get; } = new();

    public string Name => "estimate";

    public bool IsEstimate => true;

    public int Count(string text) => TokenEstimate.Count(text);
}
