using BasedEval.Core.Targets;

namespace BasedEval.Core.SweBench;

/// <summary>Which files the model is shown, as in the SWE-bench paper's settings.</summary>
public enum ContextSetting
{
    /// <summary>The files the gold patch changes: an upper bound on what retrieval could give.</summary>
    Oracle,

    /// <summary>The files BM25 ranks highest for the issue text, up to a token budget.</summary>
    Bm25,
}

/// <summary>A file shown to the model, as it is at base_commit.</summary>
public sealed record ContextFile(string Path, string Text);

/// <summary>Chooses the context files of an instance from its repository at base_commit.</summary>
public static class PatchContext
{
    /// <summary>The smallest of the SWE-bench paper's BM25 budgets (13k tokens), which fits the context of most served models.</summary>
    public const int DefaultTokenBudget = 13_000;

    /// <summary>Generated and vendored files past this size would fill the budget alone and are rarely what an issue is about.</summary>
    private const long LargestSearchedFile = 1 << 20;

    /// <summary>The existing files the gold patch changes (new files have nothing to show), in patch order.</summary>
    public static IReadOnlyList<string> OracleFiles(SweBenchInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return UnifiedDiff.Parse(instance.Patch).Files.Select(f => f.OldPath).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The oracle files whole, or the best BM25 matches of the problem statement among the repository's Python sources (path and
    /// text indexed together) in rank order, each taken whole while its listing fits in what is left of <paramref name="tokenBudget"/>.
    /// </summary>
    public static async Task<IReadOnlyList<ContextFile>> SelectAsync(
        SweBenchInstance instance, GitSnapshot snapshot, ContextSetting setting, int tokenBudget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(snapshot);
        if (setting == ContextSetting.Oracle)
        {
            var oracle = OracleFiles(instance);
            var texts = await snapshot.ReadTextAsync(oracle, cancellationToken);
            return [.. oracle.Where(texts.ContainsKey).Select(p => new ContextFile(p, texts[p]))];
        }

        var sources = await snapshot.ReadTextAsync(snapshot.Files.Where(IsSearched).Select(f => f.Path), cancellationToken);
        var index = new Bm25Index(sources.Select(s => (s.Key, s.Key + "\n" + s.Value)));
        var chosen = new List<ContextFile>();
        var left = tokenBudget;
        foreach (var hit in index.Search(instance.ProblemStatement))
        {
            var file = new ContextFile(hit.Id, sources[hit.Id]);
            var tokens = TokenEstimate.Count(PatchPrompt.Listing(file));
            if (tokens <= left)
            {
                chosen.Add(file);
                left -= tokens;
            }
        }

        return chosen;
    }

    /// <summary>
    /// Python sources that are not tests: SWE-bench's repositories are Python, and its gold patches never change tests (the test
    /// patch does), so test files would only crowd the budget.
    /// </summary>
    private static bool IsSearched(GitBlob file)
    {
        if (file.Size > LargestSearchedFile || !file.Path.EndsWith(".py", StringComparison.Ordinal))
        {
            return false;
        }

        var name = Path.GetFileName(file.Path);
        return !(name.StartsWith("test_", StringComparison.Ordinal) || name.EndsWith("_test.py", StringComparison.Ordinal) || name is "tests.py" or "conftest.py"
            || file.Path.Split('/').SkipLast(1).Contains("tests", StringComparer.Ordinal));
    }
}
