using System.Diagnostics;

namespace BasedEval.TestServer;

/// <summary>How late the server wrote its first content chunks, against their scripted times, over every stream.</summary>
public sealed record FirstContentLateness(long Streams, double P50Ms, double P99Ms, double MaxMs);

/// <summary>
/// Counts lateness in 10 µs buckets up to 1 s (anything later is counted in the last bucket, and the maximum is kept
/// exactly), so a server answering millions of streams keeps 400 KB and no record per request.
/// </summary>
internal sealed class LatenessHistogram
{
    private const double BucketMs = 0.01;
    private readonly long[] _buckets = new long[100_000];
    private long _count;
    private long _maxTicks;

    public void Add(long lateTicks)
    {
        var ticks = Math.Max(0, lateTicks);
        var bucket = (int)Math.Min(_buckets.Length - 1, ticks * 1000.0 / Stopwatch.Frequency / BucketMs);
        Interlocked.Increment(ref _buckets[bucket]);
        Interlocked.Increment(ref _count);
        for (var max = Volatile.Read(ref _maxTicks); ticks > max; max = Volatile.Read(ref _maxTicks))
        {
            Interlocked.CompareExchange(ref _maxTicks, ticks, max);
        }
    }

    /// <summary>Percentiles are each bucket's upper edge: an overstatement by at most 10 µs.</summary>
    public FirstContentLateness Summary()
    {
        var count = Interlocked.Read(ref _count);
        return new FirstContentLateness(count, Percentile(count, 50), Percentile(count, 99), Interlocked.Read(ref _maxTicks) * 1000.0 / Stopwatch.Frequency);
    }

    private double Percentile(long count, double percentile)
    {
        if (count == 0)
        {
            return double.NaN;
        }

        var rank = (long)Math.Ceiling(count * percentile / 100);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += Interlocked.Read(ref _buckets[i]);
            if (seen >= rank)
            {
                return (i + 1) * BucketMs;
            }
        }

        return _buckets.Length * BucketMs;
    }
}
