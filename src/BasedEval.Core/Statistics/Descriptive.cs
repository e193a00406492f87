namespace BasedEval.Core.Statistics;

public static class Descriptive
{
    /// <summary>
    /// The <paramref name="percentile"/>-th percentile (0–100) by linear interpolation between order statistics:
    /// Hyndman and Fan (1996) definition 7, numpy's default "linear" method. NaN for an empty input; NaN values
    /// have no order and are refused.
    /// </summary>
    public static double Percentile(IReadOnlyList<double> values, double percentile)
    {
        ArgumentNullException.ThrowIfNull(values);
        return PercentilesInPlace(values.ToArray(), [percentile])[0];
    }

    /// <summary>
    /// <see cref="Percentile"/> at each of <paramref name="percentiles"/> from one sort of <paramref name="values"/>, done
    /// in place: for a caller that owns the array, a million values cost no copy at all.
    /// </summary>
    internal static double[] PercentilesInPlace(double[] values, IReadOnlyList<double> percentiles)
    {
        foreach (var percentile in percentiles)
        {
            CheckPercentile(percentile);
        }

        if (values.Length == 0)
        {
            return percentiles.Select(_ => double.NaN).ToArray();
        }

        if (values.Any(double.IsNaN))
        {
            throw new ArgumentException("Percentiles of values containing NaN are undefined.", nameof(values));
        }

        Array.Sort(values);
        return percentiles.Select(p => PercentileOfSorted(values, p)).ToArray();
    }

    internal static void CheckPercentile(double percentile)
    {
        if (!(percentile >= 0 && percentile <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "Percentile must lie in [0, 100].");
        }
    }

    /// <summary>Type 7 on an already sorted, non-empty array.</summary>
    internal static double PercentileOfSorted(double[] sorted, double percentile)
    {
        var (index, fraction) = Type7Position(sorted.Length, percentile);
        return Interpolate(sorted[index], index + 1 < sorted.Length ? sorted[index + 1] : sorted[index], fraction);
    }

    /// <summary>
    /// Type 7 places percentile p at 0-based position h = (n − 1)·p/100 and interpolates between
    /// order statistics ⌊h⌋ and ⌊h⌋ + 1.
    /// </summary>
    internal static (int Index, double Fraction) Type7Position(int n, double percentile)
    {
        var h = (n - 1) * percentile / 100;
        var index = Math.Min((int)Math.Floor(h), n - 1);
        return (index, h - index);
    }

    internal static double Interpolate(double lower, double upper, double fraction) =>
        // Equal neighbours (including two infinities) and whole positions return the order statistic itself,
        // so an infinite neighbour never turns into NaN through 0·∞.
        fraction == 0 || lower == upper ? lower : lower + fraction * (upper - lower);
}
