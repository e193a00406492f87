using MathNet.Numerics.Distributions;

namespace BasedEval.Core.Statistics;

/// <summary>
/// How many paired items a non-inferiority decision needs. The decision rule is the one the quality gate
/// applies to the Newcombe interval of candidate − baseline (<see cref="PairedBinary"/>), two-sided at
/// <c>confidence</c>: PASS when its lower bound is above −margin, FAIL when its upper bound is below −margin,
/// INCONCLUSIVE otherwise. Each of PASS and FAIL is therefore a one-sided test at α = (1 − confidence)/2
/// (0.025 at the default 0.95). Margins and differences are in proportion units (0.02 = 2 points).
/// <para>
/// Power comes from the large-sample normal approximation for paired proportions: with discordance
/// probabilities p_b (baseline only right) and p_c (candidate only right), Δ = p_c − p_b and per-item variance
/// v = p_b + p_c − Δ², the estimate is approximately Normal(Δ, v/n). The gate PASSes when the estimate exceeds
/// −δ plus the interval's lower half-width h₋, and FAILs when it is below −δ minus the upper half-width h₊, so
/// P(PASS) ≈ Φ((Δ + δ − h₋)/√(v/n)) and P(FAIL) ≈ Φ((−δ − Δ − h₊)/√(v/n)).
/// </para>
/// <para>
/// The half-widths are taken one of two ways. Given the probability that both models are right
/// (<c>pBothCorrect</c>), they are the Newcombe interval's own half-widths at the expected table n·(cell
/// probabilities), which carries the Wilson limits' asymmetry near 0 and 1 and the phi correction; this tracks
/// the simulated gate within Monte-Carlo error. Without it they are the first-order value z·√(v/n) shared by
/// every consistent interval, which gives the Wald-type closed form of Lu and Bean (1995) and Liu et al. (2002),
/// n = (z + z_β)²·v/(Δ + δ)²; slightly optimistic (about one point of power at accuracy 0.9, n = 1,000) because
/// the Newcombe interval is a little wider than Wald's.
/// </para>
/// </summary>
public static class SampleSize
{
    /// <summary>
    /// The correlation between the two models' per-item correctness that <see cref="PlanPairedNonInferiority"/>
    /// assumes when no discordance is given. Models answering the same items are positively correlated (hard
    /// items tend to be hard for both, Miller 2024, "Adding error bars to evals", which is why paired comparisons
    /// need fewer items); 0.5 is a middle value, not a measurement. Pass the discordance itself when an earlier run
    /// has measured it. Higher correlation means fewer discordant items and fewer items needed.
    /// </summary>
    public const double AssumedCorrelation = 0.5;

    /// <summary>
    /// The number of paired items at which the non-inferiority gate PASSes with probability
    /// <paramref name="power"/> when the discordance probabilities are <paramref name="pBaselineOnly"/> and
    /// <paramref name="pCandidateOnly"/> (typically as observed), and, when given, the probability both are right is
    /// <paramref name="pBothCorrect"/> (see <see cref="SampleSize"/> for what it refines). Null when no number of
    /// items decides it: the true difference p_c − p_b is at or below −<paramref name="margin"/> (the gate cannot be
    /// expected to PASS), or no discordance is expected and <paramref name="pBothCorrect"/> is not given.
    /// One-sided α = (1 − <paramref name="confidence"/>)/2.
    /// </summary>
    public static int? PairedNonInferiority(
        double pBaselineOnly, double pCandidateOnly, double margin, double confidence = 0.95, double power = 0.8, double? pBothCorrect = null)
    {
        CheckCells(pBaselineOnly, pCandidateOnly, pBothCorrect);
        CheckMargin(margin);
        CheckPower(power);
        var z = Confidence.TwoSidedZ(confidence, nameof(confidence));

        var difference = pCandidateOnly - pBaselineOnly;
        var variance = PerItemVariance(pBaselineOnly, pCandidateOnly);
        if (difference + margin <= 0 || (variance <= 0 && pBothCorrect is null))
        {
            return null;
        }

        var zPower = Normal.InvCDF(0, 1, power);
        var firstOrder = variance > 0
            ? Math.Ceiling((z + zPower) * (z + zPower) * variance / ((difference + margin) * (difference + margin)))
            : 1;
        if (pBothCorrect is null)
        {
            return firstOrder >= int.MaxValue ? null : Math.Max(1, (int)firstOrder);
        }

        // The half-widths at the expected table have no closed-form inverse in n; power rises with n, so bracket
        // from the first-order answer and bisect.
        bool Enough(int n) => Power(n, pBaselineOnly, pCandidateOnly, pBothCorrect, margin, z).Pass >= power;
        var low = 0;
        var high = (int)Math.Clamp(firstOrder, 1, MaximumItems);
        while (!Enough(high))
        {
            if (high >= MaximumItems)
            {
                return null;
            }

            low = high;
            high = (int)Math.Min(2L * high, MaximumItems);
        }

        while (high - low > 1)
        {
            var middle = low + (high - low) / 2;
            if (Enough(middle))
            {
                high = middle;
            }
            else
            {
                low = middle;
            }
        }

        return high;
    }

    /// <summary>
    /// The number of paired items for the non-inferiority gate to PASS with probability <paramref name="power"/>,
    /// before any run. The candidate's true accuracy is taken as <paramref name="baselineAccuracy"/> +
    /// <paramref name="expectedDifference"/>. The discordance probability (share of items exactly one model gets
    /// right) is <paramref name="discordance"/> when given; otherwise it is derived from the two accuracies
    /// p₁, p₂ assuming their per-item correctness has correlation <see cref="AssumedCorrelation"/> (0.5):
    /// p₁(1−p₂) + p₂(1−p₁) − 2·0.5·√(p₁(1−p₁)p₂(1−p₂)), i.e. half the independence value 2p(1−p) when the
    /// accuracies are equal. One-sided α = (1 − <paramref name="confidence"/>)/2.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The inputs admit no answer: an accuracy outside [0, 1], a discordance below |expectedDifference|,
    /// an expected difference at or below −margin, or no discordance at all.
    /// </exception>
    public static int PlanPairedNonInferiority(
        double baselineAccuracy, double margin, double expectedDifference = 0, double? discordance = null, double confidence = 0.95, double power = 0.8)
    {
        var candidateAccuracy = baselineAccuracy + expectedDifference;
        if (!(baselineAccuracy >= 0 && baselineAccuracy <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(baselineAccuracy), baselineAccuracy, "Baseline accuracy must lie in [0, 1].");
        }

        if (!(candidateAccuracy >= 0 && candidateAccuracy <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(expectedDifference), expectedDifference, "Baseline accuracy plus the expected difference must lie in [0, 1].");
        }

        CheckMargin(margin);
        if (expectedDifference <= -margin)
        {
            throw new ArgumentOutOfRangeException(
                nameof(expectedDifference), expectedDifference, "A candidate expected to be worse by the margin or more cannot be expected to pass; no item count helps.");
        }

        var discordant = discordance ?? IndependenceDiscordance(baselineAccuracy, candidateAccuracy);
        if (!(discordant >= Math.Abs(expectedDifference) && discordant <= 1) || discordant == 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(discordance), discordant, $"The discordance must lie in (0, 1] and be at least |expected difference| = {Math.Abs(expectedDifference)}.");
        }

        // p_c − p_b is the difference and p_b + p_c the discordance; the two fix both cells, and the baseline's
        // accuracy then fixes the share both get right.
        var pBaselineOnly = (discordant - expectedDifference) / 2;
        var pCandidateOnly = (discordant + expectedDifference) / 2;
        var pBothCorrect = baselineAccuracy - pBaselineOnly;
        if (pBothCorrect < 0 || pBothCorrect + discordant > 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(discordance), discordant, "The discordance is not possible at these accuracies (it would need a negative share of items both get right or both get wrong).");
        }

        return PairedNonInferiority(pBaselineOnly, pCandidateOnly, margin, confidence, power, pBothCorrect)
            ?? throw new ArgumentOutOfRangeException(nameof(margin), margin, "The margin is too small for any feasible number of items.");
    }

    /// <summary>
    /// The probabilities that the gate PASSes and FAILs on <paramref name="n"/> paired items whose true discordance
    /// probabilities are <paramref name="pBaselineOnly"/> and <paramref name="pCandidateOnly"/> and, when given,
    /// whose probability of both being right is <paramref name="pBothCorrect"/>, by the normal approximation
    /// described on <see cref="SampleSize"/>. One-sided α = (1 − <paramref name="confidence"/>)/2. With no
    /// discordance the estimate is exactly 0 and the outcome is certain: PASS when the half-width is below the
    /// margin.
    /// </summary>
    public static (double PassProbability, double FailProbability) PairedNonInferiorityPower(
        int n, double pBaselineOnly, double pCandidateOnly, double margin, double confidence = 0.95, double? pBothCorrect = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        CheckCells(pBaselineOnly, pCandidateOnly, pBothCorrect);
        CheckMargin(margin);
        var z = Confidence.TwoSidedZ(confidence, nameof(confidence));
        return Power(n, pBaselineOnly, pCandidateOnly, pBothCorrect, margin, z);
    }

    private const int MaximumItems = 1 << 30;

    private static (double Pass, double Fail) Power(int n, double pBaselineOnly, double pCandidateOnly, double? pBothCorrect, double margin, double z)
    {
        var difference = pCandidateOnly - pBaselineOnly;
        var standardError = Math.Sqrt(PerItemVariance(pBaselineOnly, pCandidateOnly) / n);
        double down, up;
        if (pBothCorrect is { } both)
        {
            var neither = Math.Max(0, 1 - both - pBaselineOnly - pCandidateOnly);
            var expected = PairedBinary.NewcombeInterval(n * both, n * pBaselineOnly, n * pCandidateOnly, n * neither, z);
            down = difference - expected.Lower;
            up = expected.Upper - difference;
        }
        else
        {
            down = up = z * standardError;
        }

        var passMargin = difference + margin - down;
        var failMargin = -margin - difference - up;
        if (standardError <= 0)
        {
            return (passMargin > 0 ? 1 : 0, failMargin > 0 ? 1 : 0);
        }

        return (Normal.CDF(0, 1, passMargin / standardError), Normal.CDF(0, 1, failMargin / standardError));
    }

    /// <summary>Per-item variance of the paired difference: Var(1[cand only] − 1[base only]) = p_b + p_c − (p_c − p_b)².</summary>
    private static double PerItemVariance(double pBaselineOnly, double pCandidateOnly)
    {
        var difference = pCandidateOnly - pBaselineOnly;
        return pBaselineOnly + pCandidateOnly - difference * difference;
    }

    private static double IndependenceDiscordance(double p1, double p2) =>
        p1 * (1 - p2) + p2 * (1 - p1) - 2 * AssumedCorrelation * Math.Sqrt(p1 * (1 - p1) * p2 * (1 - p2));

    private static void CheckCells(double pBaselineOnly, double pCandidateOnly, double? pBothCorrect)
    {
        if (!(pBaselineOnly >= 0 && pCandidateOnly >= 0 && pBaselineOnly + pCandidateOnly <= 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(pBaselineOnly), $"Discordance probabilities must be non-negative with a sum of at most 1; got {pBaselineOnly} and {pCandidateOnly}.");
        }

        // The tolerance admits cells derived by subtraction whose sum rounds a hair above 1.
        if (pBothCorrect is { } both && !(both >= 0 && both + pBaselineOnly + pCandidateOnly <= 1 + 1e-12))
        {
            throw new ArgumentOutOfRangeException(
                nameof(pBothCorrect), both, "The probability both are right must be non-negative and leave the four cells summing to 1.");
        }
    }

    /// <summary>
    /// Items a single run needs for its accuracy's interval to clear a fixed threshold on one side, when the true
    /// accuracy is <paramref name="accuracy"/>: the one-sample normal approximation n = (z + z_β)²·p(1 − p)/(p − t)².
    /// Null when the accuracy sits on the threshold (no number of items decides) or is 0 or 1 (no variance to plan on).
    /// </summary>
    public static int? AgainstThreshold(double accuracy, double threshold, double confidence = 0.95, double power = 0.8)
    {
        var z = Confidence.TwoSidedZ(confidence, nameof(confidence));
        CheckPower(power);
        var variance = accuracy * (1 - accuracy);
        var gap = accuracy - threshold;
        if (variance <= 0 || gap == 0 || !double.IsFinite(gap))
        {
            return null;
        }

        var zPower = Normal.InvCDF(0, 1, power);
        var n = Math.Ceiling((z + zPower) * (z + zPower) * variance / (gap * gap));
        return n > int.MaxValue ? null : (int)n;
    }

    private static void CheckMargin(double margin)
    {
        if (!(margin > 0 && margin < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "The margin must lie in (0, 1), in proportion units.");
        }
    }

    private static void CheckPower(double power)
    {
        if (!(power > 0 && power < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(power), power, "Power must lie strictly between 0 and 1.");
        }
    }
}
