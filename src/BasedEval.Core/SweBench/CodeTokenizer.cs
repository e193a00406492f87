namespace BasedEval.Core.SweBench;

/// <summary>
/// Terms for retrieval over source code and the prose of issues. An identifier counts as itself and as its words, split at
/// underscores and at lower-to-upper case changes (<c>parseHTTPHeader_v2</c>: parse, http, header, v2, parsehttpheader_v2), so
/// that an issue saying "the header parser" meets <c>parse_header</c>. Digits stay with their letters: utf8 and base64 are words.
/// </summary>
public static class CodeTokenizer
{
    /// <summary>The terms of <paramref name="text"/>, lower case, in order; single characters carry too little to rank by and are dropped.</summary>
    public static List<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_');
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                AddIdentifier(text.AsSpan(start, i - start), terms);
                start = -1;
            }
        }

        return terms;
    }

    private static void AddIdentifier(ReadOnlySpan<char> identifier, List<string> terms)
    {
        var before = terms.Count;
        var partStart = 0;
        for (var i = 1; i <= identifier.Length; i++)
        {
            if (i == identifier.Length || identifier[i] == '_' || IsBoundary(identifier, i))
            {
                Add(identifier[partStart..i].Trim('_'), terms);
                partStart = i;
            }
        }

        // The whole identifier too, so that an exact mention outranks the same words scattered through a file.
        var whole = identifier.Trim('_');
        if (terms.Count - before > 1 || (terms.Count == before && whole.Length > 1))
        {
            Add(whole, terms);
        }
    }

    /// <summary>A word starts at i: aB, 8B (utf8Decode), and the last capital of a run followed by lower case (HTTPServer: HTTP|Server).</summary>
    private static bool IsBoundary(ReadOnlySpan<char> s, int i)
    {
        char previous = s[i - 1], current = s[i];
        return ((char.IsLower(previous) || char.IsDigit(previous)) && char.IsUpper(current))
            || (char.IsUpper(previous) && char.IsUpper(current) && i + 1 < s.Length && char.IsLower(s[i + 1]));
    }

    private static void Add(ReadOnlySpan<char> term, List<string> terms)
    {
        if (term.Length > 1)
        {
            terms.Add(term.ToString().ToLowerInvariant());
        }
    }
}
