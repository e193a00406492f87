using System.Globalization;
using BasedEval.Core.Config;
using BasedEval.Core.Statistics;

namespace BasedEval.Core.Gating;

/// <summary>Turns measured evidence into gate decisions. Every decision rests on an interval, never on a point estimate alone.</summary>
public static class Gates
{
    /// <summary>
    /// Non-inferiority on paired accuracy: PASS when the interval's lower bound of candidate − baseline lies above −margin,
    /// FAIL when its upper bound lies below −margin, INCONCLUSIVE otherwise with the paired items a decision would need.
    /// With superiority asked, PASS needs the lower bound above zero and FAIL an upper bound below zero.
    /// </summary>
    public static GateResult Quality(string name, PairedBinarySummary paired, QualityGateConfig gate)
    {
        var margin = gate.MarginPoints / 100.0;
        var lower = paired.DifferenceInterval.Lower;
        var upper = paired.DifferenceInterval.Upper;
        var threshold = gate.RequireSuperiority ? 0 : -margin;
        var ci = Inv($"{Points(paired.Difference)} points [{Points(lower)}, {Points(upper)}] at {gate.Confidence * 100:0.#}%");
        if (paired.N == 0)
        {
            return new GateResult(name, "quality", Decision.Inconclusive, double.NaN, double.NaN, double.NaN, threshold * 100, gate.Confidence, null,
                "no item was answered by both models, so quality cannot be compared");
        }

        Decision decision;
        string reason;
        if (lower > threshold)
        {
            decision = Decision.Pass;
            reason = gate.RequireSuperiority
                ? $"the candidate is better: the difference is {ci}, wholly above zero"
                : $"the candidate is not worse by more than {Points(margin)} points: the difference is {ci}, wholly above −{Points(margin)}";
        }
        else if (upper < threshold)
        {
            decision = Decision.Fail;
            reason = gate.RequireSuperiority
                ? $"the candidate is not better: the difference is {ci}, wholly below zero"
                : $"the candidate is worse by more than {Points(margin)} points: the difference is {ci}, wholly below −{Points(margin)}";
        }
        else
        {
            decision = Decision.Inconclusive;
            reason = $"the difference is {ci}, which straddles {(gate.RequireSuperiority ? "zero" : $"−{Points(margin)}")}: not enough items to decide";
        }

        int? needed = null;
        if (decision == Decision.Inconclusive && !gate.RequireSuperiority)
        {
            var n = (double)paired.N;
            needed = SampleSize.PairedNonInferiority(paired.BaselineOnly / n, paired.CandidateOnly / n, margin, gate.Confidence, pBothCorrect: paired.BothCorrect / n);
            reason += needed is { } items
                ? $"; about {items.ToString(CultureInfo.InvariantCulture)} paired items would give 80% power at the observed discordance"
                : "; at the observed difference no number of items would show non-inferiority";
        }

        return new GateResult(name, "quality", decision, paired.Difference * 100, lower * 100, upper * 100, threshold * 100, gate.Confidence, needed, reason);
    }

    /// <summary>
    /// An absolute gate on one run, for a team without a baseline: PASS when the accuracy's Wilson interval lies at or
    /// above the minimum, FAIL when it lies wholly below, INCONCLUSIVE otherwise with the items a decision would need.
    /// </summary>
    public static GateResult MinimumAccuracy(string name, Metrics.QualitySummary quality, double minimum, double confidence)
    {
        var threshold = minimum * 100;
        if (quality.Scored == 0)
        {
            return new GateResult(name, "accuracy", Decision.Inconclusive, double.NaN, double.NaN, double.NaN, threshold, confidence, null,
                "no successful samples, so the accuracy cannot be measured");
        }

        var interval = Statistics.Proportion.Wilson(quality.Correct, quality.Scored, confidence);
        var ci = Inv($"{Points(quality.Accuracy)}% [{Points(interval.Lower)}%, {Points(interval.Upper)}%] at {confidence * 100:0.#}% over {quality.Scored} items");
        if (interval.Lower >= minimum)
        {
            return new GateResult(name, "accuracy", Decision.Pass, quality.Accuracy * 100, interval.Lower * 100, interval.Upper * 100, threshold, confidence, null,
                Inv($"the accuracy is {ci}, wholly at or above the minimum of {Points(minimum)}%"));
        }

        if (interval.Upper < minimum)
        {
            return new GateResult(name, "accuracy", Decision.Fail, quality.Accuracy * 100, interval.Lower * 100, interval.Upper * 100, threshold, confidence, null,
                Inv($"the accuracy is {ci}, wholly below the minimum of {Points(minimum)}%"));
        }

        var needed = SampleSize.AgainstThreshold(quality.Accuracy, minimum, confidence);
        return new GateResult(name, "accuracy", Decision.Inconclusive, quality.Accuracy * 100, interval.Lower * 100, interval.Upper * 100, threshold, confidence, needed,
            Inv($"the accuracy is {ci}, which straddles the minimum of {Points(minimum)}%: not enough items to decide")
            + (needed is { } n ? Inv($"; about {n} items would give 80% power at the observed accuracy") : string.Empty));
    }

    /// <summary>A ratio gate: PASS when the whole interval of candidate/baseline is at or under the limit, FAIL when it is wholly over.</summary>
    public static GateResult Ratio(string name, string kind, double estimate, Interval interval, double maxRatio, double confidence, string measure)
    {
        var ci = Inv($"{estimate:0.###}× [{interval.Lower:0.###}, {interval.Upper:0.###}] at {confidence * 100:0.#}%");
        if (double.IsNaN(estimate))
        {
            return new GateResult(name, kind, Decision.Inconclusive, estimate, interval.Lower, interval.Upper, maxRatio, confidence, null,
                Inv($"{measure} could not be measured for both models"));
        }

        if (interval.Upper <= maxRatio)
        {
            return new GateResult(name, kind, Decision.Pass, estimate, interval.Lower, interval.Upper, maxRatio, confidence, null,
                Inv($"{measure} of the candidate is {ci} of the baseline's, within the limit of {maxRatio:0.###}×"));
        }

        if (interval.Lower > maxRatio)
        {
            return new GateResult(name, kind, Decision.Fail, estimate, interval.Lower, interval.Upper, maxRatio, confidence, null,
                Inv($"{measure} of the candidate is {ci} of the baseline's, over the limit of {maxRatio:0.###}×"));
        }

        return new GateResult(name, kind, Decision.Inconclusive, estimate, interval.Lower, interval.Upper, maxRatio, confidence, null,
            Inv($"{measure} of the candidate is {ci} of the baseline's; the interval straddles the limit of {maxRatio:0.###}×"));
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Points(double proportion) => (proportion * 100).ToString("0.##", CultureInfo.InvariantCulture);
}
