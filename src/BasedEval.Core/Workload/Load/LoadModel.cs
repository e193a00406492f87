using System.Globalization;
using MathNet.Numerics.Distributions;

namespace BasedEval.Core.Workload.Load;

/// <summary>
/// How requests are offered to the target. A closed model keeps a fixed number in flight, so the server's speed sets
/// the rate; an open model sends on its own clock whatever the server does, as independent users would; a trace
/// replay sends at production's recorded times.
/// </summary>
public abstract record LoadModel
{
    public abstract string Describe();
}

/// <summary>Closed loop: <see cref="Concurrency"/> workers, each sending its next request when its last one ends.</summary>
public sealed record ClosedLoad(int Concurrency) : LoadModel
{
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"closed, {Concurrency} in flight");
}

/// <summary>
/// Open loop at <see cref="RatePerSecond"/> on average. Gaps between sends are gamma-distributed with coefficient of
/// variation <see cref="Cv"/>: 1 is a Poisson process, above 1 is burstier, below 1 more regular.
/// </summary>
public sealed record OpenLoad(double RatePerSecond, double Cv = 1) : LoadModel
{
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"open, {RatePerSecond:0.###}/s, CV {Cv:0.##}");

    /// <summary>Send offsets in milliseconds from the start, seeded; gamma with shape 1/CV² and mean 1/rate.</summary>
    public IEnumerable<double> Offsets(int seed)
    {
        var random = new Random(seed);
        var shape = 1 / (Cv * Cv);
        var rate = shape * RatePerSecond / 1000;
        double at = 0;
        while (true)
        {
            yield return at;
            at += Gamma.Sample(random, shape, rate);
        }
    }
}

/// <summary>Trace replay at the recorded offsets divided by <see cref="TimeScale"/> (2 replays twice as fast).</summary>
public sealed record TraceLoad(double TimeScale) : LoadModel
{
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"trace replay, ×{TimeScale:0.###} speed");
}

/// <summary>
/// When to stop and what to leave out. Sending stops at <see cref="Duration"/> after the start or after
/// <see cref="MaxRequests"/> requests, whichever comes first; requests in flight then finish. Requests planned within
/// <see cref="Warmup"/> of the start, and the first <see cref="WarmupRequests"/>, are sent but left out of every metric,
/// because connection set-up and cold caches would otherwise count against the target.
/// <para>
/// A timed load (open, trace) never has more than <see cref="MaxInFlight"/> requests outstanding: when the target falls
/// behind, the next send waits for one to end, so overload shows as send lag rather than as memory growing with every
/// request started on time (a 1,000,000-line log replayed at ×1000 once held 3.25 GB of queued requests).
/// </para>
/// </summary>
public sealed record LoadBounds(TimeSpan? Duration, long? MaxRequests, TimeSpan Warmup, int WarmupRequests, TimeSpan RequestTimeout, int MaxInFlight = LoadBounds.DefaultMaxInFlight)
{
    public const int DefaultMaxInFlight = 2048;

    public bool IsWarmup(long sequence, double plannedMs) => sequence < WarmupRequests || plannedMs < Warmup.TotalMilliseconds;
}
