using BasedEval.Core.Tokens;

namespace BasedEval.LlamaCpp;

/// <summary>
/// Counts with a local model's own vocabulary through llama.cpp, loading the vocabulary without the weights. No BOS or
/// chat-template tokens are added, so the count is that of the text, as the other tokenizers give it.
/// </summary>
public sealed class GgufTokenCounter : ITokenCounter
{
    private readonly LlamaModel _model;

    private GgufTokenCounter(LlamaModel model, string name)
    {
        _model = model;
        Name = name;
    }

    public string Name { get; }

    /// <summary>
    /// The model stays loaded for the life of the process: counters are cached per file by <see cref="TokenCounters"/>.
    /// A file llama.cpp cannot read is reported as damaged data, which the caller turns into a config error naming the target.
    /// </summary>
    public static GgufTokenCounter Load(string modelPath)
    {
        try
        {
            return new GgufTokenCounter(LlamaModel.Load(modelPath, gpuLayers: 0, vocabularyOnly: true), $"gguf:{Path.GetFileNameWithoutExtension(modelPath)}");
        }
        catch (LlamaException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    public int Count(string text) => string.IsNullOrEmpty(text) ? 0 : _model.Tokenize(text, addSpecial: false, parseSpecial: false).Length;
}
