using BasedEval.Core.Tokens;
using YamlDotNet.RepresentationModel;

namespace BasedEval.Core.Config;

/// <summary>
/// A target's <c>tokenizer:</c> and <c>context:</c> keys. Files are checked to exist here, so that a typo fails when
/// evals.yaml is loaded, not minutes into a run; reading them waits until a count is first needed.
/// </summary>
internal static class TokenizerSection
{
    public static readonly string[] TargetKeys = ["tokenizer", "context"];

    private const string Choices = "o200k_base, cl100k_base, gguf (provider llamacpp), a tokenizer.json, a SentencePiece .model file, " +
        "a folder holding one of those or encoder.json + vocab.bpe, or `{ encoder: encoder.json, merges: vocab.bpe }`";

    private static readonly string[] PairKeys = ["encoder", "merges"];

    public static TargetConfig Apply(YamlNodes yaml, Dictionary<string, YamlNode> fields, TargetConfig target)
    {
        var what = $"target `{target.Name}`";
        int? context = null;
        if (fields.TryGetValue("context", out var contextNode))
        {
            context = target.Provider == ProviderKind.LlamaCpp
                ? throw yaml.Error(contextNode, $"{what} runs in-process, where `context_size` is its context window", "write the window as `context_size:` and remove `context:`")
                : yaml.Integer(contextNode, $"`context` of {what} (the model's context window in tokens)", 16, 100_000_000);
        }

        var tokenizer = fields.TryGetValue("tokenizer", out var node) ? Read(yaml, node, what, target.Provider) : null;
        return target with { ConfiguredTokenizer = tokenizer, ConfiguredContext = context };
    }

    private static TokenizerSpec? Read(YamlNodes yaml, YamlNode node, string what, ProviderKind provider)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(yaml.File))!;
        if (node is YamlMappingNode)
        {
            var pair = yaml.Fields(node, $"`tokenizer` of {what}", PairKeys);
            var encoder = ExistingFile(yaml, yaml.Required(pair, node, "encoder", $"`tokenizer` of {what}", "encoder.json"), what, folder);
            var merges = ExistingFile(yaml, yaml.Required(pair, node, "merges", $"`tokenizer` of {what}", "vocab.bpe"), what, folder);
            return new TokenizerSpec(TokenizerKind.BytePairFiles, "bpe", [encoder, merges]);
        }

        var value = yaml.String(node, $"`tokenizer` of {what}");
        switch (value)
        {
            case TokenizerDefaults.O200k or TokenizerDefaults.Cl100k:
                return new TokenizerSpec(TokenizerKind.Tiktoken, value, []);
            case "gguf":
                // The model file is resolved with the rest of the config, and gguf is already a local target's default.
                return provider == ProviderKind.LlamaCpp
                    ? null
                    : throw yaml.Error(node, $"`tokenizer: gguf` of {what} reads a local model's vocabulary, but the target uses provider {provider}", $"name the remote model's tokenizer instead: {Choices}");
        }

        var path = Path.GetFullPath(value, folder);
        if (Directory.Exists(path))
        {
            return FromFolder(path) ?? throw yaml.Error(node, $"`tokenizer` of {what} is the folder {path}, which holds no tokenizer.json, tokenizer.model or encoder.json + vocab.bpe", $"point it at a folder or file holding one, or use one of: {Choices}");
        }

        if (File.Exists(path) && FromFile(path) is { } spec)
        {
            return spec;
        }

        var looksLikePath = value.Contains('/', StringComparison.Ordinal) || Path.HasExtension(value);
        throw yaml.Error(node,
            looksLikePath
                ? File.Exists(path) ? $"`tokenizer` of {what} is {path}, which is not a tokenizer file" : $"`tokenizer` of {what} names {path}, which does not exist"
                : $"`tokenizer` of {what} is `{value}`, which is not a known tokenizer",
            YamlNodes.Nearest(value, [TokenizerDefaults.O200k, TokenizerDefaults.Cl100k, "gguf"]) is { } near && !looksLikePath ? $"did you mean `{near}`? choices: {Choices}" : $"use one of: {Choices}");
    }

    private static TokenizerSpec? FromFolder(string folder)
    {
        if (FromFile(Path.Combine(folder, "tokenizer.json")) is { } json)
        {
            return json;
        }

        var encoder = Path.Combine(folder, "encoder.json");
        var merges = Path.Combine(folder, "vocab.bpe");
        return File.Exists(encoder) && File.Exists(merges)
            ? new TokenizerSpec(TokenizerKind.BytePairFiles, "bpe", [encoder, merges])
            : FromFile(Path.Combine(folder, "tokenizer.model"));
    }

    private static TokenizerSpec? FromFile(string file) => !File.Exists(file) ? null : Path.GetExtension(file) switch
    {
        ".json" => new TokenizerSpec(TokenizerKind.TokenizerJson, "tokenizer.json", [file]),
        ".model" => new TokenizerSpec(TokenizerKind.SentencePiece, "sentencepiece", [file]),
        _ => null,
    };

    private static string ExistingFile(YamlNodes yaml, YamlNode node, string what, string folder)
    {
        var path = Path.GetFullPath(yaml.String(node, $"a `tokenizer` file of {what}"), folder);
        return File.Exists(path) ? path : throw yaml.Error(node, $"`tokenizer` of {what} names {path}, which does not exist", "give the path of the file, relative to evals.yaml or absolute");
    }
}
