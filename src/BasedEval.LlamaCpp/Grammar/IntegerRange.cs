using System.Globalization;

namespace BasedEval.LlamaCpp.Grammar;

/// <summary>
/// The integers of a closed range as a GBNF expression built from digit classes, so that a schema's integer
/// <c>minimum</c> and <c>maximum</c> hold by construction. Integers have at most 16 digits here, as everywhere in the
/// schema grammars. Only classes, counted repetitions, groups and alternation are used, which a .NET regular expression
/// reads the same way (after <c>"-"</c> becomes <c>-</c>): the tests compare the two.
/// </summary>
internal static class IntegerRange
{
    public const long Largest = 9_999_999_999_999_999;

    public static string Expression(long low, long high)
    {
        low = Math.Max(low, -Largest);
        high = Math.Min(high, Largest);
        if (low > high)
        {
            throw new NotSupportedException($"No integer lies between {low} and {high}");
        }

        var branches = new List<string>();
        if (low < 0)
        {
            branches.Add("\"-\" " + Group(NonNegative(Math.Max(-high, 1), -low)));
        }

        if (high >= 0)
        {
            branches.AddRange(NonNegative(Math.Max(low, 0), high));
        }

        return Group(branches);
    }

    private static List<string> NonNegative(long low, long high)
    {
        var branches = new List<string>();
        for (var digits = Length(low); digits <= Length(high); digits++)
        {
            var from = Math.Max(low, digits == 1 ? 0 : Pow10(digits - 1));
            var to = Math.Min(high, Pow10(digits) - 1);
            branches.AddRange(SameLength(from.ToString(CultureInfo.InvariantCulture), to.ToString(CultureInfo.InvariantCulture)));
        }

        return branches;
    }

    /// <summary>
    /// Numbers from <paramref name="low"/> to <paramref name="high"/>, both of the same length: a shared first digit and the
    /// range of the rest; or the low first digit with anything above the rest of low, the digits between with anything, and
    /// the high first digit with anything below the rest of high.
    /// </summary>
    private static IEnumerable<string> SameLength(string low, string high)
    {
        if (low.Length == 1)
        {
            yield return Digit(low[0], high[0]);
            yield break;
        }

        var restLength = low.Length - 1;
        var lowRest = low[1..];
        var highRest = high[1..];
        if (low[0] == high[0])
        {
            yield return Digit(low[0], low[0]) + " " + Group(SameLength(lowRest, highRest).ToList());
            yield break;
        }

        var anyRest = Any(restLength);
        if (lowRest.All(c => c == '0') && highRest.All(c => c == '9'))
        {
            yield return Digit(low[0], high[0]) + " " + anyRest;
            yield break;
        }

        yield return Digit(low[0], low[0]) + " " + Group(SameLength(lowRest, new string('9', restLength)).ToList());
        if (high[0] - low[0] > 1)
        {
            yield return Digit((char)(low[0] + 1), (char)(high[0] - 1)) + " " + anyRest;
        }

        yield return Digit(high[0], high[0]) + " " + Group(SameLength(new string('0', restLength), highRest).ToList());
    }

    private static string Group(List<string> branches) => branches.Count == 1 ? branches[0] : "(" + string.Join(" | ", branches) + ")";

    private static string Digit(char from, char to) => from == to ? $"[{from}]" : $"[{from}-{to}]";

    private static string Any(int count) => string.Create(CultureInfo.InvariantCulture, $"[0-9]{{{count}}}");

    private static int Length(long value) => value.ToString(CultureInfo.InvariantCulture).Length;

    private static long Pow10(int exponent)
    {
        var result = 1L;
        for (var i = 0; i < exponent; i++)
        {
            result *= 10;
        }

        return result;
    }
}
