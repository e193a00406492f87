namespace BasedEval.LlamaCpp;

/// <summary>llama.cpp refused or failed an operation; the message names the file or setting involved.</summary>
public sealed class LlamaException : Exception
{
    public LlamaException()
    {
    }

    public LlamaException(string message)
        : base(message)
    {
    }

    public LlamaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A prompt that does not fit the context one request may hold.</summary>
public sealed class LlamaPromptTooLongException : Exception
{
    public LlamaPromptTooLongException()
    {
    }

    public LlamaPromptTooLongException(string message)
        : base(message)
    {
    }

    public LlamaPromptTooLongException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public LlamaPromptTooLongException(int promptTokens, int contextTokens)
        : base($"The prompt has {promptTokens} tokens; a request's context holds {contextTokens}, which must also leave room for output")
    {
        PromptTokens = promptTokens;
        ContextTokens = contextTokens;
    }

    public int PromptTokens { get; }

    public int ContextTokens { get; }
}

/// <summary>llama.cpp could not parse a request's grammar: the request cannot succeed on a retry.</summary>
public sealed class LlamaGrammarException : Exception
{
    public LlamaGrammarException()
    {
    }

    public LlamaGrammarException(string message)
        : base(message)
    {
    }

    public LlamaGrammarException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
