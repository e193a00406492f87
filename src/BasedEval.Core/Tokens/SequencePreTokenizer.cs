using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace BasedEval.Core.Tokens;

/// <summary>
/// Splits text the way a Hugging Face <c>Sequence</c> pre-tokenizer does: special tokens first, kept whole, then each
/// regex in turn over the pieces the previous one left, matches and the text between them alike. The library's CompositePreTokenizer does not split sequentially,
/// which merged "\n\n" into one token where SmolLM2's tokenizer gives two.
/// </summary>
internal sealed class SequencePreTokenizer : PreTokenizer
{
    private readonly Regex? _specials;
    private readonly IReadOnlyList<Regex> _steps;

    public SequencePreTokenizer(IEnumerable<string> specialTokens, IReadOnlyList<Regex> steps)
    {
        var escaped = specialTokens.OrderByDescending(t => t.Length).Select(Regex.Escape).ToList();
        _specials = escaped.Count == 0 ? null : new Regex(string.Join('|', escaped), RegexOptions.Compiled | RegexOptions.CultureInvariant);
        _steps = steps;
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Split(text ?? string.Empty);

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text.ToString());

    private List<(int Offset, int Length)> Split(string text)
    {
        var pieces = new List<(int Offset, int Length)>();
        var start = 0;
        if (_specials is not null)
        {
            foreach (Match special in _specials.Matches(text))
            {
                SplitPlain(text, start, special.Index - start, pieces);
                pieces.Add((special.Index, special.Length));
                start = special.Index + special.Length;
            }
        }

        SplitPlain(text, start, text.Length - start, pieces);
        return pieces;
    }

    private void SplitPlain(string text, int offset, int length, List<(int Offset, int Length)> into)
    {
        if (length == 0)
        {
            return;
        }

        List<(int Offset, int Length)> current = [(offset, length)];
        foreach (var step in _steps)
        {
            var next = new List<(int Offset, int Length)>();
            foreach (var (pieceOffset, pieceLength) in current)
            {
                // Text between matches stays a piece of its own, as Hugging Face's `Isolated` split behaviour keeps it.
                var at = 0;
                foreach (var match in step.EnumerateMatches(text.AsSpan(pieceOffset, pieceLength)))
                {
                    if (match.Length == 0)
                    {
                        continue;
                    }

                    if (match.Index > at)
                    {
                        next.Add((pieceOffset + at, match.Index - at));
                    }

                    next.Add((pieceOffset + match.Index, match.Length));
                    at = match.Index + match.Length;
                }

                if (pieceLength > at)
                {
                    next.Add((pieceOffset + at, pieceLength - at));
                }
            }

            current = next;
        }

        into.AddRange(current);
    }
}
