using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace BasedEval.Core.Targets;

/// <summary>
/// One thread that takes every timestamped connection's bytes off the kernel as soon as they arrive, and holds them,
/// with the kernel's receive stamp, until the HTTP stack reads them. A read that waits for the thread pool comes late
/// under load, and by then the kernel has merged the chunk with those that came after it, under the later stamp: with
/// 64 streams on two cores and 1 ms between chunks, one first chunk in five read 1–4 ms late that way. Here a segment
/// keeps its own stamp, and a read never returns bytes of two segments.
/// </summary>
internal sealed partial class ReceivePump
{
    private const int EpollCloseOnExec = 0x80000;
    private const int EpollAdd = 1;
    private const int EpollDelete = 2;
    private const int EpollModify = 3;
    private const uint EpollIn = 0x001;
    private const uint EpollReadHangUp = 0x2000;

    /// <summary>The environment variable that asks for the pump's thread to run at real-time priority.</summary>
    public const string PriorityVariable = "BASEDEVAL_RECEIVE_PRIORITY";

    private static readonly Lazy<ReceivePump?> LazyShared = new(Start);

    private readonly int _epoll;
    private readonly ConcurrentDictionary<ulong, PumpedReceiver> _receivers = new();

    // Every recvmsg lands here first, on the pump's thread only; a segment then keeps a copy of just what arrived.
    private readonly byte[] _scratch = new byte[PumpedReceiver.SegmentBytes];
    private long _lastKey;

    private ReceivePump(int epoll)
    {
        _epoll = epoll;
        new Thread(Run) { IsBackground = true, Name = "BasedEval receive pump" }.Start();
    }

    /// <summary>The process's pump; null where epoll_event's layout is not the one declared here (x64 Linux only).</summary>
    public static ReceivePump? Shared => LazyShared.Value;

    /// <summary>
    /// Takes over all reading of <paramref name="socket"/>, whose kernel timestamps are already switched on; null if epoll
    /// refuses it, and the caller reads it itself.
    /// </summary>
    public PumpedReceiver? TryRegister(Socket socket)
    {
        var key = (ulong)Interlocked.Increment(ref _lastKey);
        var receiver = new PumpedReceiver(this, socket, key);
        _receivers[key] = receiver;
        if (Control(EpollAdd, socket.SafeHandle, EpollIn | EpollReadHangUp, key) != 0)
        {
            _receivers.TryRemove(key, out _);
            return null;
        }

        return receiver;
    }

    /// <summary>Stops or resumes watching a receiver's socket: one whose reader lags is not read further until it catches up.</summary>
    internal void Watch(PumpedReceiver receiver, bool watch) =>
        _ = Control(EpollModify, receiver.Socket.SafeHandle, watch ? EpollIn | EpollReadHangUp : 0, receiver.Key);

    /// <summary>
    /// Stops watching a receiver's socket: epoll first, then the key, so that the pump never meets a readable socket it
    /// no longer knows (level-triggered, it would wake for it again at once, and a real-time thread would spin).
    /// </summary>
    internal void Forget(PumpedReceiver receiver)
    {
        _ = Control(EpollDelete, receiver.Socket.SafeHandle, 0, receiver.Key);
        _receivers.TryRemove(receiver.Key, out _);
    }

    private static ReceivePump? Start()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return null;
        }

        var epoll = EpollCreate(EpollCloseOnExec);
        return epoll < 0 ? null : new ReceivePump(epoll);
    }

    private unsafe int Control(int operation, SafeSocketHandle socket, uint events, ulong key)
    {
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            var change = new EpollEvent { Events = events, Data = key };
            return EpollControl(_epoll, operation, (int)socket.DangerousGetHandle(), &change);
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// With <c>BASEDEVAL_RECEIVE_PRIORITY=realtime</c> the pump asks Linux for the lowest real-time priority (it needs root
    /// or CAP_SYS_NICE; refused, it keeps the normal one). Then a chunk is taken off the kernel at once even when the
    /// client's own threads fill both cores: at 64 streams on two cores, 1–3 % of samples instead of 6 % had a TTFT more
    /// than 2 ms off the scripted one; what remains is mostly this process's pauses (collections, recompilation) and the
    /// server's own lateness. The thread sleeps in epoll_wait between arrivals, so it cannot starve the others.
    /// </summary>
    private static void RaisePriorityWhenAsked()
    {
        if (string.Equals(Environment.GetEnvironmentVariable(PriorityVariable), "realtime", StringComparison.OrdinalIgnoreCase))
        {
            _ = RealTimePriority.TryRaiseCurrentThread();
        }
    }

    private unsafe void Run()
    {
        RaisePriorityWhenAsked();
        var events = new EpollEvent[64];
        fixed (EpollEvent* ready = events)
        {
            while (true)
            {
                var count = EpollWait(_epoll, ready, events.Length, -1);
                if (count < 0)
                {
                    if (Marshal.GetLastPInvokeError() == KernelTimestampedStream.Eintr)
                    {
                        continue;
                    }

                    // An epoll that fails is broken for good; its readers learn it from their next read.
                    foreach (var receiver in _receivers.Values)
                    {
                        receiver.Fail(new IOException($"The receive pump stopped: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}"));
                    }

                    return;
                }

                for (var i = 0; i < count; i++)
                {
                    if (_receivers.TryGetValue(ready[i].Data, out var receiver))
                    {
                        receiver.Pump(_scratch);
                    }
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static unsafe partial int EpollControl(int epoll, int operation, int fd, EpollEvent* change);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static unsafe partial int EpollWait(int epoll, EpollEvent* events, int capacity, int timeoutMs);

    /// <summary>struct epoll_event, packed on x86-64: 12 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }
}

/// <summary>
/// One connection's bytes as the pump received them: segments in order, each with the kernel's stamp. The pump enqueues
/// and the reader dequeues without a lock between them: a reader preempted mid-read must not hold back a pump running at
/// real-time priority, or the next chunks would wait, and merge, behind it.
/// </summary>
internal sealed class PumpedReceiver : IDisposable
{
    /// <summary>The most one recvmsg takes; a larger arrival is read by the next wake-up.</summary>
    internal const int SegmentBytes = 16 * 1024;

    // Past this much unread, the pump stops reading the connection and TCP's own flow control holds the sender back.
    private const int MostBuffered = 256 * 1024;

    private readonly ReceivePump _pump;
    private readonly ConcurrentQueue<Segment> _segments = new();

    // Taken only to stop or resume watching the socket, so that the two epoll changes cannot cross.
    private readonly Lock _watchGate = new();
    private Segment _reading;
    private int _readingOffset;
    private TaskCompletionSource? _waiter;
    private int _buffered;
    private bool _watched = true;
    private volatile bool _ended;
    private volatile Exception? _error;
    private volatile bool _disposed;

    internal PumpedReceiver(ReceivePump pump, Socket socket, ulong key) => (_pump, Socket, Key) = (pump, socket, key);

    internal Socket Socket { get; }

    internal ulong Key { get; }

    /// <summary>
    /// Bytes of one segment, recording that segment's kernel stamp in <paramref name="stamp"/>; 0 at the end. One reader at
    /// a time, as a stream allows. A zero-byte read waits for data, as a NetworkStream's does, and then takes none of it.
    /// </summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, ArrivalStamp? stamp, CancellationToken cancellationToken)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_reading.Bytes is not null || _segments.TryDequeue(out _reading))
            {
                return Take(buffer.Span, stamp);
            }

            if (_error is { } error)
            {
                throw new IOException($"Unable to read data from the transport connection: {error.Message}", error);
            }

            if (_ended)
            {
                // Nothing is queued after the end is seen, but what was queued just before it is still to be read.
                if (_segments.IsEmpty)
                {
                    return 0;
                }

                continue;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _waiter, waiter);
            // A segment queued between the look above and this waiter's publication would wake no one: look again.
            if (!_segments.IsEmpty || _ended || _error is not null || _disposed)
            {
                Interlocked.CompareExchange(ref _waiter, null, waiter);
                continue;
            }

            // Nothing is buffered, so whatever made the pump stop reading this connection is over.
            SetWatched(true);
            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Called on the pump's thread when the socket is readable: one recvmsg into <paramref name="scratch"/>.</summary>
    internal void Pump(byte[] scratch)
    {
        if (_disposed || _ended || _error is not null)
        {
            // Being forgotten on another thread: finish that here, or the readable socket wakes the pump again and again.
            _pump.Forget(this);
            return;
        }

        try
        {
            var received = KernelTimestampedStream.Receive(Socket.SafeHandle, scratch, KernelTimestampedStream.MsgDontWait, out var kernelUtcTicks);
            if (received > 0)
            {
                _segments.Enqueue(new Segment(scratch.AsSpan(0, received).ToArray(), kernelUtcTicks));
                if (Interlocked.Add(ref _buffered, received) >= MostBuffered)
                {
                    SetWatched(false);
                }
            }
            else if (received == 0)
            {
                _ended = true;
                _pump.Forget(this);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            _error = e;
            _pump.Forget(this);
        }

        WakeReader();
    }

    internal void Fail(Exception error)
    {
        _error ??= error;
        WakeReader();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        // The segment being read is the reader's alone: a read may still be in it while the connection is disposed.
        _disposed = true;
        _pump.Forget(this);
        _segments.Clear();
        WakeReader();
    }

    /// <summary>Wakes a read waiting for data, an end or an error; a read that is not waiting looks for itself.</summary>
    private void WakeReader() => Interlocked.Exchange(ref _waiter, null)?.TrySetResult();

    private int Take(Span<byte> buffer, ArrivalStamp? stamp)
    {
        var count = Math.Min(buffer.Length, _reading.Bytes.Length - _readingOffset);
        _reading.Bytes.AsSpan(_readingOffset, count).CopyTo(buffer);
        if (_reading.KernelUtcTicks is { } ticks)
        {
            stamp?.Record(ticks);
        }

        _readingOffset += count;
        if (_readingOffset == _reading.Bytes.Length)
        {
            (_reading, _readingOffset) = (default, 0);
        }

        if (Interlocked.Add(ref _buffered, -count) < MostBuffered / 2 && !Volatile.Read(ref _watched))
        {
            SetWatched(true);
        }

        return count;
    }

    /// <summary>Stops or resumes the pump's reading; each side checks again under the lock, so neither undoes the other late.</summary>
    private void SetWatched(bool watch)
    {
        lock (_watchGate)
        {
            var buffered = Volatile.Read(ref _buffered);
            if (_watched == watch || _disposed || _ended || (watch ? buffered >= MostBuffered / 2 : buffered < MostBuffered))
            {
                return;
            }

            Volatile.Write(ref _watched, watch);
            _pump.Watch(this, watch);
        }
    }

    /// <summary>What one recvmsg took, exactly, and the kernel's stamp of it.</summary>
    private readonly record struct Segment(byte[] Bytes, long? KernelUtcTicks);
}
