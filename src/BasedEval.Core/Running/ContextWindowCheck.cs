using System.Globalization;
using BasedEval.Core.Config;
using BasedEval.Core.Tokens;

namespace BasedEval.Core.Running;

/// <summary>One planned request that cannot fit: its prompt in the target's tokens, plus the answer max_tokens allows.</summary>
public sealed record OversizedItem(string Suite, string ItemId, int PromptTokens, int MaxTokens, int ContextWindow)
{
    public int Excess => PromptTokens + MaxTokens - ContextWindow;
}

/// <summary>
/// Checks before a run that every planned request fits the target's context window, counted with the target's own
/// tokenizer. A run with any that do not is refused (exit 2) with the items and by how much they overflow: a server would
/// cut or reject them, and a paired comparison whose two runs dropped different items would compare different questions.
/// Targets whose window is unknown are not checked.
/// </summary>
public static class ContextWindowCheck
{
    private const int Listed = 10;

    public static IReadOnlyList<OversizedItem> Find(TargetConfig target, IEnumerable<PlannedSample> samples)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(samples);
        if (target.ContextWindow is not { } window)
        {
            return [];
        }

        var counter = TokenCounters.For(target);
        var oversized = new List<OversizedItem>();
        foreach (var sample in samples)
        {
            var prompt = counter.CountMessages(sample.Request.Messages);
            var maxTokens = sample.Request.Sampling.MaxTokens ?? 0;
            if (prompt + maxTokens > window)
            {
                oversized.Add(new OversizedItem(sample.Suite, sample.Item.Id, prompt, maxTokens, window));
            }
        }

        return oversized;
    }

    /// <summary>Throws the configuration error that refuses the run, naming the target, the items and the fixes.</summary>
    public static void Require(TargetConfig target, IEnumerable<PlannedSample> samples)
    {
        var oversized = Find(target, samples);
        if (oversized.Count == 0)
        {
            return;
        }

        var counter = TokenCounters.For(target).Name;
        var items = string.Join("; ", oversized.Take(Listed).Select(o => string.Create(CultureInfo.InvariantCulture,
            $"{o.Suite}/{o.ItemId}: {o.PromptTokens} prompt + {o.MaxTokens} max_tokens = {o.Excess} over")));
        var more = oversized.Count > Listed ? string.Create(CultureInfo.InvariantCulture, $" and {oversized.Count - Listed} more") : string.Empty;
        var widen = target.Provider == ProviderKind.LlamaCpp ? "raise `context_size`" : "set `context:` to the model's real window";
        throw new ConfigException(target.Location.File, target.Location.Line, target.Location.Column,
            string.Create(CultureInfo.InvariantCulture, $"{oversized.Count} planned request(s) do not fit the {oversized[0].ContextWindow}-token context window of target `{target.Name}` (counted with {counter}): {items}{more}"),
            $"{widen}, lower `sampling.max_tokens`, or leave those items out (`limit`, `subjects`); nothing is cut silently");
    }
}
