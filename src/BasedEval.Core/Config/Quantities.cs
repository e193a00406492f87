using System.Globalization;

namespace BasedEval.Core.Config;

/// <summary>
/// The two units a user gives, read the same way in evals.yaml and on every command line: a margin or a difference
/// is in percentage points (a bare `2`, or `2pt`, `2%`), an accuracy, confidence or share is a proportion (a bare
/// `0.8`, or `80%`). A bare value that is almost surely the other unit — a margin under half a point, a proportion
/// above 1 — is refused with the fix, because a plan or a gate built on the misread value is silently wrong.
/// </summary>
public static class Quantities
{
    /// <summary>A bare margin below this is almost surely a proportion (0.02 meant as 2 points); `0.3pt` says it is not.</summary>
    public const double SmallestBareMarginPoints = 0.5;

    private static readonly string[] PointSuffixes = ["points", "point", "pts", "pt", "%"];

    /// <summary>A non-inferiority margin in points, strictly between 0 and 100.</summary>
    public static double MarginPoints(string text, string what, Func<string, string, Exception> error)
    {
        var (value, explicitUnit) = Points(text, what, error);
        if (value is <= 0 or >= 100)
        {
            throw error($"{what} is {text}, but a margin lies between 0 and 100 percentage points", "give it in points, such as `2` or `2pt`");
        }

        if (!explicitUnit && value < SmallestBareMarginPoints)
        {
            throw error(
                $"{what} is {text}: margins are percentage points, so this reads as {Show(value)} of a point, which looks like a proportion meant as {Show(value * 100)} points",
                $"write `{Show(value * 100)}` (or `{Show(value * 100)}pt`) for {Show(value * 100)} points; write `{text.Trim()}pt` if you do mean {Show(value)} of a point");
        }

        return value;
    }

    /// <summary>A signed difference in points, such as an expected candidate − baseline change.</summary>
    public static double DifferencePoints(string text, string what, Func<string, string, Exception> error)
    {
        var (value, _) = Points(text, what, error);
        if (value is <= -100 or >= 100)
        {
            throw error($"{what} is {text}, but a difference of accuracies lies between −100 and 100 percentage points", "give it in points, such as `-1` or `1pt`");
        }

        return value;
    }

    /// <summary>A proportion from 0 to 1: a bare fraction or a percentage with `%`.</summary>
    public static double Proportion(string text, string what, Func<string, string, Exception> error)
    {
        var trimmed = text.Trim();
        var percent = trimmed.EndsWith('%');
        var number = Number(percent ? trimmed[..^1] : trimmed, text, what, error, "a proportion such as `0.8` or `80%`");
        if (percent)
        {
            number /= 100;
        }
        else if (number is > 1 and <= 100)
        {
            throw error(
                $"{what} is {text}: it is a proportion from 0 to 1, so {text} reads as {Show(number * 100)}%",
                $"write `{Show(number / 100)}` or `{Show(number)}%`");
        }

        if (number is < 0 or > 1)
        {
            throw error($"{what} is {text}, outside 0 to 1", "give a proportion such as `0.8` or a percentage such as `80%`");
        }

        return number;
    }

    private static (double Value, bool ExplicitUnit) Points(string text, string what, Func<string, string, Exception> error)
    {
        var trimmed = text.Trim();
        var suffix = PointSuffixes.FirstOrDefault(s => trimmed.EndsWith(s, StringComparison.OrdinalIgnoreCase));
        var number = suffix is null ? trimmed : trimmed[..^suffix.Length].TrimEnd();
        return (Number(number, text, what, error, "points such as `2` or `2pt`"), suffix is not null);
    }

    private static double Number(string number, string text, string what, Func<string, string, Exception> error, string example) =>
        double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw error($"{what} must be a number, found `{text}`", $"write {example}");

    private static string Show(double value) => Math.Round(value, 6).ToString("0.######", CultureInfo.InvariantCulture);
}
