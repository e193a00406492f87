using System.Diagnostics;

namespace BasedEval.Core.Targets;

/// <summary>
/// What one request's connection saw: the moment its bytes were handed to the socket, and the latest moment the kernel
/// received bytes for it, in UTC ticks (0 until it has). A target sets one as <see cref="Current"/> before sending;
/// <see cref="KernelTimestampedStream"/> finds it there, because the HTTP stack writes and reads the connection inside the
/// call chain of the target's own send and read.
/// </summary>
internal sealed class ArrivalStamp
{
    private static readonly AsyncLocal<ArrivalStamp?> ForCurrentRequest = new();

    private long _lastUtcTicks;
    private bool _bodyStarted;

    public static ArrivalStamp? Current
    {
        get => ForCurrentRequest.Value;
        set => ForCurrentRequest.Value = value;
    }

    public long LastUtcTicks => Volatile.Read(ref _lastUtcTicks);

    /// <summary>Stopwatch timestamp of the first socket write once the body was being serialised; 0 before.</summary>
    public long SentTimestamp { get; private set; }

    /// <summary>The same moment on the wall clock.</summary>
    public DateTimeOffset SentUtc { get; private set; }

    /// <summary>
    /// A read's stamp: the kernel's receive time of the last segment it took. The kernel merges segments that wait
    /// unread, keeping the later time, so only a prompt reader sees each chunk's own arrival; a late one is still closer
    /// than its own clock.
    /// </summary>
    public void Record(long utcTicks) => Volatile.Write(ref _lastUtcTicks, utcTicks);

    /// <summary>
    /// Called as the request body starts to be written into the HTTP client's buffer. The next socket write carries the
    /// request; earlier ones (a TLS handshake) belong to setting up the connection.
    /// </summary>
    public void BodyStarted() => _bodyStarted = true;

    /// <summary>Called just before bytes go to the socket: the first such call after the body started is request start.</summary>
    public void Sending()
    {
        if (_bodyStarted && SentTimestamp == 0)
        {
            SentTimestamp = Stopwatch.GetTimestamp();
            SentUtc = DateTimeOffset.UtcNow;
        }
    }

    /// <summary>
    /// Milliseconds from <paramref name="startUtc"/> to the kernel's stamp of the latest read, or <paramref name="readMs"/>
    /// (when the reader saw the bytes) where there is no stamp or it is not credible: before the start, or after the reader
    /// already had the bytes.
    /// </summary>
    public double ArrivalMs(DateTimeOffset startUtc, double readMs)
    {
        var ticks = LastUtcTicks;
        if (ticks == 0)
        {
            return readMs;
        }

        var kernelMs = (ticks - startUtc.UtcTicks) / (double)TimeSpan.TicksPerMillisecond;
        return kernelMs >= 0 && kernelMs <= readMs ? kernelMs : readMs;
    }
}
