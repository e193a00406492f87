using BasedEval.Core.Config;

namespace BasedEval.Core.Tokens;

/// <summary>
/// The tokenizer and context window a target has when evals.yaml names none, by provider and model family. OpenAI
/// publishes its encodings; Anthropic publishes none, so its targets count with cl100k_base and say it is an approximation.
/// </summary>
public static class TokenizerDefaults
{
    public const string O200k = "o200k_base";
    public const string Cl100k = "cl100k_base";
    public const string AnthropicNote = "approximation: Anthropic publishes no tokenizer, cl100k_base stands in";

    // Checked in order, so that gpt-4o and gpt-4.1 are found before the gpt-4 prefix they share.
    private static readonly (string Prefix, string Encoding, int Context)[] OpenAiFamilies =
    [
        ("gpt-4o", O200k, 128_000),
        ("chatgpt-4o", O200k, 128_000),
        ("gpt-4.1", O200k, 1_047_576),
        ("gpt-4.5", O200k, 128_000),
        ("gpt-5", O200k, 400_000),
        ("gpt-oss", O200k, 131_072),
        ("o1", O200k, 200_000),
        ("o3", O200k, 200_000),
        ("o4", O200k, 200_000),
        ("gpt-4-turbo", Cl100k, 128_000),
        ("gpt-4-32k", Cl100k, 32_768),
        ("gpt-4", Cl100k, 8_192),
        ("gpt-3.5-turbo", Cl100k, 16_385),
    ];

    public static TokenizerSpec For(ProviderKind provider, string model, string? modelPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        return provider switch
        {
            ProviderKind.LlamaCpp when modelPath is not null => new TokenizerSpec(TokenizerKind.Gguf, "gguf", [modelPath]),
            ProviderKind.Anthropic => new TokenizerSpec(TokenizerKind.Tiktoken, Cl100k, [], AnthropicNote),
            // An IChatClient's model id is the host's; where it names an OpenAI family, that family's encoding counts it.
            ProviderKind.OpenAi or ProviderKind.ChatClient when OpenAiFamily(model) is { } family => new TokenizerSpec(TokenizerKind.Tiktoken, family.Encoding, []),
            _ => TokenizerSpec.Estimate($"no tokenizer is known for model `{model}`; counts are estimated at about four characters a token until `tokenizer:` names one"),
        };
    }

    /// <summary>The model family's published context window in tokens, null where it is not known.</summary>
    public static int? ContextWindow(ProviderKind provider, string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return provider switch
        {
            ProviderKind.Anthropic when model.StartsWith("claude", StringComparison.OrdinalIgnoreCase) => 200_000,
            ProviderKind.OpenAi or ProviderKind.ChatClient => OpenAiFamily(model)?.Context,
            _ => null,
        };
    }

    private static (string Encoding, int Context)? OpenAiFamily(string model)
    {
        // A model id may carry its host's prefix (openai/gpt-4o) and always may carry a date suffix (gpt-4o-2024-08-06).
        var id = model[(model.LastIndexOf('/') + 1)..];
        foreach (var (prefix, encoding, context) in OpenAiFamilies)
        {
            if (id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return (encoding, context);
            }
        }

        return null;
    }
}
