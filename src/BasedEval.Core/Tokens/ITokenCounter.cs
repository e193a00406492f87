using BasedEval.Core.Suites;

namespace BasedEval.Core.Tokens;

/// <summary>
/// Counts tokens the way one model's vocabulary splits text. Usage fill-in, cost projection and the context-window check
/// all ask the target's counter, so the three agree on what a token is.
/// </summary>
public interface ITokenCounter
{
    /// <summary>What counted: recorded beside counted usage and shown in reports (<c>o200k_base</c>, <c>gguf:model</c>, <c>estimate</c>).</summary>
    string Name { get; }

    /// <summary>True only for the four-characters-a-token rule, used where no tokenizer is known for the model.</summary>
    bool IsEstimate => false;

    int Count(string text);
}

public static class TokenCounterExtensions
{
    /// <summary>
    /// The tokens of the messages' text. A server's chat template adds a few tokens per message that no vocabulary file
    /// describes, so the count is what the content costs, not the exact prompt length.
    /// </summary>
    public static int CountMessages(this ITokenCounter counter, IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(counter);
        ArgumentNullException.ThrowIfNull(messages);
        var total = 0;
        foreach (var message in messages)
        {
            total += counter.Count(message.Content);
        }

        return total;
    }
}
