using BasedEval.Core.Statistics;
using BasedEval.Core.Storage;

namespace BasedEval.Core.Metrics;

public sealed record CostSummary(double TotalUsd, double PerItemUsd, double Per1000ItemsUsd, double EffectiveUsdPerMillionTokens, long InputTokens, long CachedInputTokens, long OutputTokens, bool TokensEstimated);

public sealed record QualitySummary(int Scored, int Correct, double Accuracy, Interval Interval);

/// <summary>One run's quality, latency and cost, computed from its stored samples only.</summary>
public sealed record RunMetrics(
    string RunId,
    int Samples,
    int Succeeded,
    int Failed,
    int FromCache,
    QualitySummary Quality,
    Distribution Ttft,
    Distribution Tpot,
    Distribution E2e,
    Distribution Itl,
    CostSummary Cost,
    double OutputTokensPerSecond,
    double RequestsPerSecond)
{
    /// <summary>The level of a single run's accuracy interval, on the terminal and in its gate.</summary>
    public const double DefaultConfidence = 0.95;

    public static RunMetrics Of(string runId, IReadOnlyList<Sample> samples, double confidence = DefaultConfidence)
    {
        var succeeded = samples.Where(s => s.Succeeded).ToList();
        var scored = succeeded.Where(s => s.Score is not null).ToList();
        var correct = scored.Count(s => s.Score!.IsCorrect);
        var latency = LatencySeries.Of(succeeded);

        long input = 0, cached = 0, output = 0;
        var estimated = false;
        double total = 0;
        foreach (var s in succeeded)
        {
            input += s.Usage.InputTokens;
            cached += s.Usage.CachedInputTokens;
            output += s.Usage.OutputTokens;
            estimated |= s.Usage.Estimated;
            total += s.CostUsd;
        }

        var perItem = succeeded.Count == 0 ? 0 : total / succeeded.Count;
        var tokens = input + output;
        var cost = new CostSummary(total, perItem, perItem * 1000, tokens == 0 ? 0 : total / tokens * 1_000_000, input, cached, output, estimated);

        // Throughput is measured over the window of requests this run actually sent; answers from the cache took no time here.
        var live = succeeded.Where(s => !s.FromCache && s.Timings is not null).ToList();
        double outputPerSecond = 0, requestsPerSecond = 0;
        if (live.Count > 0)
        {
            var start = live.Min(s => s.Timings!.RequestStartUtc);
            var end = live.Max(s => s.Timings!.RequestStartUtc.AddMilliseconds(s.Timings.E2eMs));
            var seconds = (end - start).TotalSeconds;
            if (seconds > 0)
            {
                outputPerSecond = live.Sum(s => (double)s.Usage.OutputTokens) / seconds;
                requestsPerSecond = live.Count / seconds;
            }
        }

        return new RunMetrics(
            runId,
            samples.Count,
            succeeded.Count,
            samples.Count - succeeded.Count,
            succeeded.Count(s => s.FromCache),
            new QualitySummary(scored.Count, correct, scored.Count == 0 ? double.NaN : (double)correct / scored.Count, scored.Count == 0 ? new Interval(double.NaN, double.NaN) : Proportion.Wilson(correct, scored.Count, confidence)),
            Distribution.Of(latency.TtftMs),
            Distribution.Of(latency.TpotMs),
            Distribution.Of(latency.E2eMs),
            Distribution.Of(latency.ItlMs),
            cost,
            outputPerSecond,
            requestsPerSecond);
    }
}
