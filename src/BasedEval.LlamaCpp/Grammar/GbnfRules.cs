using System.Globalization;
using System.Text;

namespace BasedEval.LlamaCpp.Grammar;

/// <summary>
/// The rules of a GBNF grammar (llama.cpp's grammar language) under construction. Rules with the same body share one name,
/// which keeps the grammar small when a schema repeats itself.
/// </summary>
internal sealed class GbnfRules
{
    /// <summary>
    /// Whitespace between JSON tokens, as llama.cpp's own schema converter allows it: none, one space, or a newline and
    /// bounded indentation. Bounded so that a model cannot spend its whole token budget on blanks.
    /// </summary>
    public const string Whitespace = "ws";

    private readonly List<(string Name, string Body)> _rules = [];
    private readonly Dictionary<string, string> _nameByBody = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public GbnfRules()
    {
        // The start symbol is the caller's to define.
        _names.Add("root");
        Define(Whitespace, "| \" \" | \"\\n\" [ \\t]{0,20}");
    }

    /// <summary>A rule with this body, named after <paramref name="hint"/>; the existing one when the body is already defined.</summary>
    public string Add(string hint, string body)
    {
        if (_nameByBody.TryGetValue(body, out var existing))
        {
            return existing;
        }

        var name = UniqueName(hint);
        Define(name, body);
        return name;
    }

    /// <summary>A name for a rule whose body is given later through <see cref="Define"/>: recursive schemas refer to themselves.</summary>
    public string Reserve(string hint)
    {
        var name = UniqueName(hint);
        _names.Add(name);
        return name;
    }

    public void Define(string name, string body)
    {
        _names.Add(name);
        _rules.Add((name, body));
        _nameByBody.TryAdd(body, name);
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var (name, body) in _rules)
        {
            text.Append(name).Append(" ::= ").Append(body).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>A GBNF string literal matching <paramref name="text"/> exactly.</summary>
    public static string Literal(string text)
    {
        var literal = new StringBuilder("\"");
        foreach (var rune in text.EnumerateRunes())
        {
            literal.Append(rune.Value switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                < 0x20 or 0x7F => string.Create(CultureInfo.InvariantCulture, $"\\x{rune.Value:X2}"),
                _ => rune.ToString(),
            });
        }

        return literal.Append('"').ToString();
    }

    /// <summary>A code point written so that it means itself inside a GBNF character class.</summary>
    public static string ClassCharacter(int codePoint) => codePoint switch
    {
        >= '0' and <= '9' or >= 'a' and <= 'z' or >= 'A' and <= 'Z' => ((char)codePoint).ToString(),
        <= 0xFFFF => string.Create(CultureInfo.InvariantCulture, $"\\u{codePoint:X4}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"\\U{codePoint:X8}"),
    };

    private string UniqueName(string hint)
    {
        var cleaned = new StringBuilder();
        foreach (var c in hint)
        {
            cleaned.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-');
        }

        var stem = cleaned.ToString().Trim('-');
        if (stem.Length == 0)
        {
            stem = "rule";
        }

        var name = stem;
        for (var i = 2; _names.Contains(name); i++)
        {
            name = string.Create(CultureInfo.InvariantCulture, $"{stem}-{i}");
        }

        return name;
    }
}
