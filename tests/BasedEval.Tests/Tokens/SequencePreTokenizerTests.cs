using System.Text.Json;
using System.Text.RegularExpressions;
using BasedEval.Core.Tokens;
using FsCheck;
using FsCheck.Fluent;

namespace BasedEval.Tests.Tokens;

/// <summary>The pre-tokenizer chain and the tokenizer.json pieces it is built from.</summary>
public class SequencePreTokenizerTests
{
    private static readonly SequencePreTokenizer DigitsThenGpt2 = new(
        ["<|im_start|>", "<|im_end|>"],
        [new Regex(@"\p{N}|[^\p{N}]+"), new Regex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]);

    [Fact]
    public void Pieces_tile_any_text_in_order_with_nothing_lost_or_repeated()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<NonNull<string>>(), ArbMap.Default.ArbFor<bool>(), (text, withSpecial) =>
        {
            var s = withSpecial ? text.Get + "<|im_end|>" + text.Get : text.Get;
            var at = 0;
            foreach (var (offset, length) in DigitsThenGpt2.PreTokenize(s))
            {
                if (offset != at || length <= 0)
                {
                    return false;
                }

                at += length;
            }

            return at == s.Length;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Special_tokens_stay_whole_and_each_step_splits_the_pieces_of_the_one_before()
    {
        const string text = "<|im_start|>a  12\n\nb<|im_end|>";

        var pieces = DigitsThenGpt2.PreTokenize(text).Select(p => text.Substring(p.Offset, p.Length)).ToArray();

        Assert.Equal(["<|im_start|>", "a", "  ", "1", "2", "\n", "\n", "b", "<|im_end|>"], pieces);
    }

    [Theory]
    [InlineData("\"Ġ t\"", "Ġ t")]
    [InlineData("[\"Ġ\", \"t\"]", "Ġ t")]
    public void Merges_read_in_both_the_old_text_and_the_new_pair_form(string json, string expected)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Equal(expected, HuggingFaceTokenizerJson.Merge(document.RootElement));
    }
}
