using System.Net.Sockets;

namespace BasedEval.Core.Targets;

/// <summary>
/// One thread that takes every timestamped connection's bytes off the kernel as soon as they arrive, and holds them,
/// with the kernel's receive stamp, until the HTTP stack reads them. A read that waits for the thread pool comes late
/// under load, and by then the kernel has merged the chunk with those that came after it, under the later stamp: with
/// 64 streams on two cores and 1 ms between chunks, one first chunk in five read 1–4 ms late that way. Here a segment
/// keeps its own stamp, and a read never returns bytes of two segments.
/// </summary>
internal abstract class ReceivePump
{
    /// <summary>The environment variable that asks for the pump's thread to run at real-time priority.</summary>
    public const string PriorityVariable = "BASEDEVAL_RECEIVE_PRIORITY";

    // io_uring where the kernel offers it: it receives even while this process is paused. epoll otherwise.
    private static readonly Lazy<ReceivePump?> LazyShared = new(() => IoUringReceivePump.TryStart() ?? (ReceivePump?)EpollReceivePump.TryStart());

    private long _lastKey;

    /// <summary>The process's pump; null where neither kind runs here (they are written for x64 Linux only).</summary>
    public static ReceivePump? Shared => LazyShared.Value;

    /// <summary>
    /// Takes over all reading of <paramref name="socket"/>, whose kernel timestamps are already switched on; null if the
    /// pump refuses it, and the caller reads it itself.
    /// </summary>
    public PumpedReceiver? TryRegister(Socket socket)
    {
        var receiver = new PumpedReceiver(this, socket, (ulong)Interlocked.Increment(ref _lastKey));
        return Register(receiver) ? receiver : null;
    }

    /// <summary>Stops or resumes reading a receiver's socket: one whose reader lags is not read further until it catches up.</summary>
    internal abstract void Watch(PumpedReceiver receiver, bool watch);

    /// <summary>Stops reading a receiver's socket for good: it ended, failed or was disposed.</summary>
    internal abstract void Forget(PumpedReceiver receiver);

    protected abstract bool Register(PumpedReceiver receiver);

    /// <summary>
    /// With <c>BASEDEVAL_RECEIVE_PRIORITY=realtime</c> the pump asks Linux for the lowest real-time priority (it needs root
    /// or CAP_SYS_NICE; refused, it keeps the normal one). Then a chunk is taken off the kernel at once even when the
    /// client's own threads fill both cores. The thread sleeps in the kernel between arrivals, so it cannot starve the others.
    /// </summary>
    protected static void RaisePriorityWhenAsked()
    {
        if (string.Equals(Environment.GetEnvironmentVariable(PriorityVariable), "realtime", StringComparison.OrdinalIgnoreCase))
        {
            _ = RealTimePriority.TryRaiseCurrentThread();
        }
    }
}
