using System.Collections.Concurrent;
using System.Net.Sockets;

namespace BasedEval.Core.Targets;

/// <summary>
/// One connection's bytes as the pump received them: segments in order, each with the kernel's stamp. The pump enqueues
/// and the reader dequeues without a lock between them: a reader preempted mid-read must not hold back a pump running at
/// real-time priority, or the next chunks would wait, and merge, behind it.
/// </summary>
internal sealed class PumpedReceiver : IDisposable
{
    /// <summary>The most one epoll recvmsg takes; a larger arrival is read by the next wake-up.</summary>
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

    /// <summary>Whether the receiver is past its last read: disposed, ended or failed.</summary>
    internal bool Closed => _disposed || _ended || _error is not null;

    /// <summary>Called on the pump's thread with what one receive took, exactly, and the kernel's stamp of it.</summary>
    internal void Deliver(ReadOnlySpan<byte> received, long? kernelUtcTicks)
    {
        _segments.Enqueue(new Segment(received.ToArray(), kernelUtcTicks));
        if (Interlocked.Add(ref _buffered, received.Length) >= MostBuffered)
        {
            SetWatched(false);
        }

        WakeReader();
    }

    /// <summary>Called on the pump's thread when the peer ended the stream.</summary>
    internal void End()
    {
        _ended = true;
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
