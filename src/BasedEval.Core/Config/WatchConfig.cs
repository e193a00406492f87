namespace BasedEval.Core.Config;

public enum ReleaseSourceKind
{
    OpenAi,
    Anthropic,
    GgufFolder,
}

/// <summary>
/// The <c>watch:</c> section: the production target every new model is compared against, the suites and gates of that
/// comparison, and the places where new models appear.
/// </summary>
public sealed record WatchConfig(
    string Production,
    IReadOnlyList<string> Suites,
    GatesConfig Gates,
    int? Limit,
    IReadOnlyDictionary<string, ReleaseSourceConfig> Sources,
    SourceLocation Location);

/// <summary>
/// One place new models appear. <see cref="Address"/> is the host's base URL, or the folder of a GGUF source.
/// <see cref="TargetFor"/> fills the source's target template with a listed id (a file path for a GGUF folder) and
/// gives the target that model is run as, checked as strictly as a target under <c>targets:</c>.
/// </summary>
public sealed record ReleaseSourceConfig(
    string Name,
    ReleaseSourceKind Kind,
    string Address,
    string? ApiKeyEnv,
    IReadOnlyList<string> Include,
    IReadOnlyList<string> Exclude,
    Func<string, TargetConfig> TargetFor,
    SourceLocation Location)
{
    /// <summary>Target names of watched models: the source's name and the id, so two sources may list the same id.</summary>
    public string TargetName(string modelId) => $"{Name}/{modelId}";

    public bool Selects(string modelId) =>
        (Include.Count == 0 || Include.Any(glob => Glob.Matches(glob, modelId))) && !Exclude.Any(glob => Glob.Matches(glob, modelId));
}

/// <summary>Shell-style globs on model ids: <c>*</c> any run of characters, <c>?</c> one character, the rest literal.</summary>
public static class Glob
{
    public static bool Matches(string pattern, string text)
    {
        // Iterative matching with one backtrack point: linear in practice, no regex to escape.
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
