using BasedEval.Core.Config;
using BasedEval.Core.Metrics;
using BasedEval.Core.Statistics;
using BasedEval.Core.Workload.Load;

namespace BasedEval.Core.Workload;

/// <summary>
/// Percentiles of one measure with percentile-bootstrap intervals. Bootstrap iterations shrink as samples grow (at
/// least 200, at most 1000, about 2·10⁷ draws per percentile) so a million-request replay is summarised in seconds;
/// at that size the interval is narrow and the fewer iterations cost little precision.
/// </summary>
public sealed record PercentileSummary(int Count, double Mean, double P50, double P90, double P95, double P99, Interval P50Interval, Interval P90Interval, Interval P95Interval, Interval P99Interval)
{
    public static readonly double[] Levels = [50, 90, 95, 99];

    public static PercentileSummary Of(IReadOnlyList<double> values, double confidence, int seed)
    {
        ArgumentNullException.ThrowIfNull(values);
        return OfInPlace(values.ToArray(), confidence, seed);
    }

    /// <summary>
    /// <see cref="Of"/> on an array it sorts in place, for a caller that owns it: a million values then cost their own
    /// 8 MB and a 4 MB count buffer, with no copy.
    /// </summary>
    internal static PercentileSummary OfInPlace(double[] values, double confidence, int seed)
    {
        var d = Distribution.OfInPlace(values);
        var none = new Interval(double.NaN, double.NaN);
        if (values.Length < 2)
        {
            return new PercentileSummary(d.Count, d.Mean, d.P50, d.P90, d.P95, d.P99, none, none, none, none);
        }

        var iterations = (int)Math.Clamp(20_000_000L / values.Length, 200, 1000);
        var intervals = Bootstrap.PercentilesInPlace(values, Levels, confidence, iterations, seed);
        return new PercentileSummary(d.Count, d.Mean, d.P50, d.P90, d.P95, d.P99, intervals[0], intervals[1], intervals[2], intervals[3]);
    }

    public double At(double percentile) => percentile switch
    {
        50 => P50,
        90 => P90,
        95 => P95,
        99 => P99,
        _ => double.NaN,
    };

    public Interval IntervalAt(double percentile) => percentile switch
    {
        50 => P50Interval,
        90 => P90Interval,
        95 => P95Interval,
        _ => P99Interval,
    };
}

/// <summary>
/// One load run measured per DESIGN.md, warm-up excluded: latency percentiles, throughput over the measured window
/// (first measured send to last measured end), goodput (requests per second that met every SLO) and SLO attainment
/// (the share of measured requests, failures included, that met every SLO). <see cref="Lag"/> is the scheduler's
/// actual minus planned send time; like every other measure it leaves out the warm-up, whose first sends also pay for
/// code compilation and new connections.
/// </summary>
public sealed record LoadMetrics(
    string Model,
    int Measured,
    int Warmup,
    int Succeeded,
    int Failed,
    double WindowSeconds,
    double RequestsPerSecond,
    double OutputTokensPerSecond,
    double GoodputPerSecond,
    double Attainment,
    bool MeetsSlos,
    long InputTokens,
    long OutputTokens,
    PercentileSummary Ttft,
    PercentileSummary Tpot,
    PercentileSummary Itl,
    PercentileSummary E2e,
    PercentileSummary Lag,
    IReadOnlyDictionary<string, int> Errors);

/// <summary>The numbers one measured request contributes; kept compact so a million of them fit in tens of megabytes.</summary>
public readonly record struct MeasuredRequest(long Index, float SentMs, float EndMs, float TtftMs, float TpotMs, float E2eMs, int InputTokens, int OutputTokens, bool Succeeded, bool MetSlos);

/// <summary>
/// Folds outcomes into <see cref="LoadMetrics"/> as they arrive, keeping numbers only, never texts. Inter-token gaps,
/// which number output tokens per request, are kept as a seeded uniform reservoir of <c>itlReservoir</c> gaps (Vitter's
/// algorithm R), so their percentiles are estimated from a bounded sample on long runs and exact on short ones.
/// </summary>
public sealed class LoadMetricsBuilder(SloConfig slos, int seed, int itlReservoir = 200_000)
{
    private readonly ChunkedList<MeasuredRequest> _requests = new();
    private readonly ChunkedList<double> _lag = new();
    private readonly List<double> _itl = [];
    private readonly List<double> _gaps = [];
    private readonly Dictionary<string, int> _errors = new(StringComparer.Ordinal);
    private readonly Random _reservoirRandom = new(seed);
    private long _gapsSeen;
    private int _warmup;

    public IReadOnlyList<MeasuredRequest> Requests => _requests;

    /// <summary>Whether one response met every SLO; a request without output fails a TTFT objective.</summary>
    public static bool MeetsSlos(SloConfig slos, double? ttftMs, double? tpotMs, double e2eMs) =>
        (slos.TtftMs is not { } ttft || (ttftMs is { } t && t <= ttft))
        && (slos.TpotMs is not { } tpot || tpotMs is not { } p || p <= tpot)
        && (slos.E2eMs is not { } e2e || e2eMs <= e2e);

    public void Add(RequestOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Warmup)
        {
            _warmup++;
            return;
        }

        _lag.Add(outcome.LagMs);
        if (outcome.Response is not { } response)
        {
            var kind = outcome.Error?.Kind.ToString() ?? "Unknown";
            _errors[kind] = _errors.GetValueOrDefault(kind) + 1;
            _requests.Add(new MeasuredRequest(outcome.Request.Index, (float)outcome.SentMs, (float)outcome.SentMs, float.NaN, float.NaN, float.NaN, 0, 0, false, false));
            return;
        }

        var timings = response.Timings;
        var tpot = LatencyMetrics.Tpot(timings, response.Usage);
        _gaps.Clear();
        LatencyMetrics.AddInterTokenLatencies(timings, _gaps);
        foreach (var gap in _gaps)
        {
            AddGap(gap);
        }

        _requests.Add(new MeasuredRequest(
            outcome.Request.Index,
            (float)outcome.SentMs,
            (float)(outcome.SentMs + timings.E2eMs),
            (float)(timings.TtftMs ?? double.NaN),
            (float)(tpot ?? double.NaN),
            (float)timings.E2eMs,
            response.Usage.InputTokens,
            response.Usage.OutputTokens,
            true,
            MeetsSlos(slos, timings.TtftMs, tpot, timings.E2eMs)));
    }

    public LoadMetrics Build(string model, double confidence = 0.95)
    {
        var measured = _requests.Count;
        var succeeded = 0;
        var met = 0;
        long input = 0, output = 0;
        double start = double.MaxValue, end = double.MinValue;
        foreach (var r in _requests)
        {
            start = Math.Min(start, r.SentMs);
            end = Math.Max(end, r.EndMs);
            if (!r.Succeeded)
            {
                continue;
            }

            succeeded++;
            met += r.MetSlos ? 1 : 0;
            input += r.InputTokens;
            output += r.OutputTokens;
        }

        // One measure's values at a time, in an array sized exactly and summarised in place: on a million-request
        // replay that is 8 MB per measure where growing lists and copies for sorting once took about 60 MB.
        PercentileSummary Summary(Func<MeasuredRequest, float> measure)
        {
            bool Counts(MeasuredRequest r) => r.Succeeded && !float.IsNaN(measure(r));
            var values = new double[_requests.Count(Counts)];
            var next = 0;
            foreach (var r in _requests)
            {
                if (Counts(r))
                {
                    values[next++] = measure(r);
                }
            }

            return PercentileSummary.OfInPlace(values, confidence, seed);
        }

        var window = measured == 0 ? 0 : Math.Max(0, end - start) / 1000;
        double PerSecond(double count) => window > 0 ? count / window : 0;
        var attainment = measured == 0 ? double.NaN : (double)met / measured;
        return new LoadMetrics(
            model,
            measured,
            _warmup,
            succeeded,
            measured - succeeded,
            window,
            PerSecond(succeeded),
            PerSecond(output),
            PerSecond(met),
            attainment,
            measured > 0 && (slos.IsEmpty ? succeeded == measured : attainment >= slos.Attainment),
            input,
            output,
            Summary(r => r.TtftMs),
            Summary(r => r.TpotMs),
            PercentileSummary.Of(_itl, confidence, seed),
            Summary(r => r.E2eMs),
            PercentileSummary.Of(_lag, confidence, seed),
            new Dictionary<string, int>(_errors, StringComparer.Ordinal));
    }

    /// <summary>
    /// Requests per second that met every SLO and were judged acceptable, over the same window as
    /// <see cref="LoadMetrics.GoodputPerSecond"/>; an unjudged request does not count.
    /// </summary>
    public static double QualityGoodput(LoadMetrics metrics, IReadOnlyList<MeasuredRequest> requests, Func<long, bool?> accepted)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(accepted);
        if (metrics.WindowSeconds <= 0)
        {
            return 0;
        }

        return requests.Count(r => r.MetSlos && accepted(r.Index) == true) / metrics.WindowSeconds;
    }

    private void AddGap(double gap)
    {
        _gapsSeen++;
        if (_itl.Count < itlReservoir)
        {
            _itl.Add(gap);
            return;
        }

        var slot = _reservoirRandom.NextInt64(_gapsSeen);
        if (slot < itlReservoir)
        {
            _itl[(int)slot] = gap;
        }
    }
}
