namespace BasedEval.Core.Tokens;

public enum TokenizerKind
{
    /// <summary>An OpenAI tiktoken encoding shipped with the tokenizer packages: o200k_base or cl100k_base.</summary>
    Tiktoken,
    /// <summary>A GPT-2-style byte-level BPE pair: encoder.json and vocab.bpe (Llama 3's files take this form).</summary>
    BytePairFiles,
    /// <summary>A Hugging Face tokenizer.json.</summary>
    TokenizerJson,
    /// <summary>A SentencePiece model file (tokenizer.model).</summary>
    SentencePiece,
    /// <summary>The vocabulary inside a local GGUF model, read through llama.cpp.</summary>
    Gguf,
    /// <summary>No tokenizer known: about four characters a token.</summary>
    Estimate,
}

/// <summary>
/// Which tokenizer counts a target's tokens. <see cref="Paths"/> are absolute files (encoder.json then vocab.bpe for a
/// pair; the model file for gguf). <see cref="Note"/> says why a default was chosen where evals.yaml names none.
/// </summary>
public sealed record TokenizerSpec(TokenizerKind Kind, string Encoding, IReadOnlyList<string> Paths, string? Note = null)
{
    public static TokenizerSpec Estimate(string note) => new(TokenizerKind.Estimate, "estimate", [], note);

    /// <summary>The name recorded beside counted usage: the encoding, or the kind and the file or folder it was read from.</summary>
    public string Name => Kind switch
    {
        TokenizerKind.Tiktoken or TokenizerKind.Estimate => Encoding,
        TokenizerKind.BytePairFiles => $"bpe:{Path.GetFileName(Path.GetDirectoryName(Paths[0]))}",
        TokenizerKind.TokenizerJson => $"tokenizer.json:{Path.GetFileName(Path.GetDirectoryName(Paths[0]))}",
        TokenizerKind.SentencePiece => $"sentencepiece:{Path.GetFileName(Paths[0])}",
        _ => $"gguf:{Path.GetFileNameWithoutExtension(Paths[0])}",
    };

    /// <summary>Two targets reading the same files share one loaded tokenizer.</summary>
    internal string CacheKey => $"{Kind}|{Encoding}|{string.Join('|', Paths)}";
}
