using System.Globalization;
using System.Text;

namespace BasedEval.LlamaCpp.Grammar;

/// <summary>
/// The common subset of JSON Schema <c>pattern</c>s (ECMA-262) as GBNF over the characters of a JSON string: literals,
/// classes, <c>.</c>, <c>\d \w \s</c> and their negations, groups, alternation and every quantifier. A pattern matches
/// anywhere in a string, so generating exactly the strings it matches whole is a safe subset. Characters a JSON string
/// would have to escape (quote, backslash, controls) are left out of what is generated.
/// </summary>
internal sealed class RegexGrammar
{
    private static readonly (int Low, int High)[] NeedsEscapeInJson = [(0x00, 0x1F), ('"', '"'), ('\\', '\\'), (0x7F, 0x7F)];
    private static readonly (int Low, int High)[] DigitRanges = [('0', '9')];
    private static readonly (int Low, int High)[] WordRanges = [('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];

    // Of these only the space can be generated: tabs and newlines inside a JSON string are escapes, not characters.
    private static readonly (int Low, int High)[] SpaceRanges = [(' ', ' '), ('\t', '\r')];

    private readonly string _pattern;
    private int _position;

    private RegexGrammar(string pattern)
    {
        _pattern = pattern;
    }

    /// <summary>The GBNF expression for the string's content, or null when the pattern uses what this subset lacks.</summary>
    public static string? TryConvert(string pattern)
    {
        var body = pattern;
        if (body.StartsWith('^'))
        {
            body = body[1..];
        }

        if (body.EndsWith('$') && !body.EndsWith("\\$", StringComparison.Ordinal))
        {
            body = body[..^1];
        }

        var parser = new RegexGrammar(body);
        var expression = parser.Alternation();
        return expression is not null && parser._position == body.Length ? expression : null;
    }

    private string? Alternation()
    {
        var branches = new List<string>();
        while (true)
        {
            var sequence = Sequence();
            if (sequence is null)
            {
                return null;
            }

            branches.Add(sequence);
            if (!Take('|'))
            {
                break;
            }
        }

        return branches.Count == 1 ? branches[0] : "(" + string.Join(" | ", branches) + ")";
    }

    private string? Sequence()
    {
        var parts = new List<string>();
        while (_position < _pattern.Length && _pattern[_position] is not '|' and not ')')
        {
            var atom = Atom();
            if (atom is null)
            {
                return null;
            }

            var quantifier = Quantifier();
            if (quantifier is null)
            {
                return null;
            }

            parts.Add(atom + quantifier);
        }

        return parts.Count == 0 ? "\"\"" : string.Join(" ", parts);
    }

    private string? Atom()
    {
        var c = _pattern[_position++];
        switch (c)
        {
            case '(':
                if (Take('?') && !Take(':'))
                {
                    return null; // look-arounds and named groups
                }

                var inner = Alternation();
                return inner is not null && Take(')') ? "(" + inner + ")" : null;
            case '[':
                return CharacterClass();
            case '.':
                return Class([], negated: true);
            case '\\':
                return Escape(out var ranges, out var negated) ? Class(ranges, negated) : null;
            case '^' or '$' or '*' or '+' or '?' or '{' or '}' or ']':
                return null;
            default:
                _position--;
                var rune = Rune.GetRuneAt(_pattern, _position);
                _position += rune.Utf16SequenceLength;
                return Class([(rune.Value, rune.Value)], negated: false);
        }
    }

    private string? Quantifier()
    {
        if (_position >= _pattern.Length)
        {
            return string.Empty;
        }

        string? quantifier;
        switch (_pattern[_position])
        {
            case '*' or '+' or '?':
                quantifier = _pattern[_position++].ToString();
                break;
            case '{':
                var close = _pattern.IndexOf('}', _position);
                var bounds = close < 0 ? null : _pattern[(_position + 1)..close].Split(',');
                if (bounds is null || bounds.Length > 2 || !int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out _)
                    || (bounds.Length == 2 && bounds[1].Length > 0 && !int.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                {
                    return null;
                }

                quantifier = "{" + _pattern[(_position + 1)..close] + "}";
                _position = close + 1;
                break;
            default:
                return string.Empty;
        }

        Take('?'); // lazy matching: the same strings
        return quantifier;
    }

    private string? CharacterClass()
    {
        var negated = Take('^');
        var ranges = new List<(int Low, int High)>();
        var first = true;
        while (_position < _pattern.Length && (_pattern[_position] != ']' || first))
        {
            first = false;
            int low;
            if (_pattern[_position] == '\\')
            {
                _position++;
                if (!Escape(out var escaped, out var escapedNegated) || escapedNegated)
                {
                    return null;
                }

                if (escaped.Length != 1 || escaped[0].Low != escaped[0].High)
                {
                    ranges.AddRange(escaped);
                    continue;
                }

                low = escaped[0].Low;
            }
            else
            {
                var rune = Rune.GetRuneAt(_pattern, _position);
                _position += rune.Utf16SequenceLength;
                low = rune.Value;
            }

            if (_position + 1 < _pattern.Length && _pattern[_position] == '-' && _pattern[_position + 1] != ']')
            {
                _position++;
                if (_pattern[_position] == '\\')
                {
                    return null;
                }

                var high = Rune.GetRuneAt(_pattern, _position);
                _position += high.Utf16SequenceLength;
                ranges.Add((low, high.Value));
            }
            else
            {
                ranges.Add((low, low));
            }
        }

        return Take(']') ? Class(ranges, negated) : null;
    }

    /// <summary>The characters an escape (after its backslash) stands for.</summary>
    private bool Escape(out (int Low, int High)[] ranges, out bool negated)
    {
        negated = false;
        ranges = [];
        if (_position >= _pattern.Length)
        {
            return false;
        }

        var c = _pattern[_position++];
        switch (c)
        {
            case 'd' or 'D':
                ranges = DigitRanges;
                negated = c == 'D';
                return true;
            case 'w' or 'W':
                ranges = WordRanges;
                negated = c == 'W';
                return true;
            case 's' or 'S':
                ranges = SpaceRanges;
                negated = c == 'S';
                return true;
            case 'u' when _position + 4 <= _pattern.Length
                && int.TryParse(_pattern.AsSpan(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                _position += 4;
                ranges = [(code, code)];
                return true;
            case 't' or 'n' or 'r' or 'f' or 'v':
                return false; // control characters, which a JSON string must escape
            default:
                if (char.IsAsciiLetterOrDigit(c))
                {
                    return false; // word boundaries, back-references and escapes this subset lacks
                }

                ranges = [(c, c)];
                return true;
        }
    }

    /// <summary>A GBNF class of these characters (or all others) less those a JSON string must escape; null if none remain.</summary>
    private static string? Class(IEnumerable<(int Low, int High)> ranges, bool negated)
    {
        var kept = negated ? ranges.Concat(NeedsEscapeInJson) : Subtract(ranges, NeedsEscapeInJson);
        var text = new StringBuilder(negated ? "[^" : "[");
        var any = false;
        foreach (var (low, high) in kept)
        {
            any = true;
            text.Append(GbnfRules.ClassCharacter(low));
            if (high != low)
            {
                text.Append('-').Append(GbnfRules.ClassCharacter(high));
            }
        }

        return any ? text.Append(']').ToString() : null;
    }

    private static List<(int Low, int High)> Subtract(IEnumerable<(int Low, int High)> ranges, (int Low, int High)[] removed)
    {
        var result = ranges.ToList();
        foreach (var (cutLow, cutHigh) in removed)
        {
            result = result.SelectMany<(int Low, int High), (int Low, int High)>(r =>
                r.High < cutLow || r.Low > cutHigh
                    ? [r]
                    : new[] { (r.Low, cutLow - 1), (cutHigh + 1, r.High) }.Where(p => p.Item1 <= p.Item2).ToArray()).ToList();
        }

        return result;
    }

    private bool Take(char c)
    {
        if (_position < _pattern.Length && _pattern[_position] == c)
        {
            _position++;
            return true;
        }

        return false;
    }
}
