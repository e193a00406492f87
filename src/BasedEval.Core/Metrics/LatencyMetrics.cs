using BasedEval.Core.Statistics;
using BasedEval.Core.Storage;
using BasedEval.Core.Targets;

namespace BasedEval.Core.Metrics;

/// <summary>The per-request latency figures of DESIGN.md, computed from stored timings and usage.</summary>
public static class LatencyMetrics
{
    /// <summary>(E2E − TTFT) / (output tokens − 1), with output tokens from usage; undefined below two output tokens.</summary>
    public static double? Tpot(SampleTimings timings, TokenUsage usage) =>
        timings.TtftMs is { } ttft && usage.OutputTokens >= 2 ? (timings.E2eMs - ttft) / (usage.OutputTokens - 1) : null;

    /// <summary>Gaps between consecutive output-bearing chunks; a chunk that carried k tokens contributes k equal gaps.</summary>
    public static void AddInterTokenLatencies(SampleTimings timings, List<double> into)
    {
        var chunks = timings.OutputChunks;
        for (var i = 1; i < chunks.Count; i++)
        {
            var tokens = Math.Max(1, chunks[i].Tokens);
            var gap = (chunks[i].OffsetMs - chunks[i - 1].OffsetMs) / tokens;
            for (var k = 0; k < tokens; k++)
            {
                into.Add(gap);
            }
        }
    }
}

/// <summary>Percentiles of one latency measure over a run's successful samples, in milliseconds.</summary>
public sealed record Distribution(int Count, double Mean, double P50, double P90, double P95, double P99, double Max)
{
    public static Distribution Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return OfInPlace(values.ToArray());
    }

    /// <summary><see cref="Of"/> on an array it sorts in place, for a caller that owns it: a million values cost no copy.</summary>
    internal static Distribution OfInPlace(double[] values)
    {
        if (values.Length == 0)
        {
            return new Distribution(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        // Summed before the sort, in the values' own order, so the mean is the same as an unsorted list gives.
        var mean = values.Average();
        var max = values.Max();
        var percentiles = Descriptive.PercentilesInPlace(values, [50, 90, 95, 99]);
        return new Distribution(values.Length, mean, percentiles[0], percentiles[1], percentiles[2], percentiles[3], max);
    }

    public double At(double percentile) => percentile switch
    {
        50 => P50,
        90 => P90,
        95 => P95,
        99 => P99,
        _ => double.NaN,
    };
}

/// <summary>The raw per-sample latency values of a run, kept for percentile ratios and bootstrap intervals.</summary>
public sealed record LatencySeries(IReadOnlyList<double> TtftMs, IReadOnlyList<double> TpotMs, IReadOnlyList<double> E2eMs, IReadOnlyList<double> ItlMs)
{
    public static LatencySeries Of(IEnumerable<Sample> samples)
    {
        List<double> ttft = [], tpot = [], e2e = [], itl = [];
        foreach (var sample in samples)
        {
            if (!sample.Succeeded || sample.Timings is not { } timings)
            {
                continue;
            }

            if (timings.TtftMs is { } t)
            {
                ttft.Add(t);
            }

            if (LatencyMetrics.Tpot(timings, sample.Usage) is { } p)
            {
                tpot.Add(p);
            }

            e2e.Add(timings.E2eMs);
            LatencyMetrics.AddInterTokenLatencies(timings, itl);
        }

        return new LatencySeries(ttft, tpot, e2e, itl);
    }
}
