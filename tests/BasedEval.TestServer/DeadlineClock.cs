using System.Diagnostics;
using BasedEval.Core.Targets;
using System.Runtime.InteropServices;

namespace BasedEval.TestServer;

/// <summary>
/// Wakes awaiters at absolute Stopwatch deadlines with sub-millisecond precision. Task.Delay cannot:
/// on a loaded Linux machine a 1 ms Task.Delay took 4.4 ms and a 5 ms one 8.4 ms (medians), while the
/// scripted TTFT must show up at the client within 2 ms. One background thread holds all
/// deadlines and, while any is near, polls with a 100 µs sleep instead of spinning, which would
/// steal a core from the client on a 2-core machine. Timed frames are written by that thread itself
/// (<see cref="WriteWhenDueAsync"/>): a wake-up handed on to the thread pool waits behind its queue.
/// </summary>
internal sealed partial class DeadlineClock : IDisposable
{
    private static readonly long PollWindowTicks = Stopwatch.Frequency / 100; // 10 ms
    private static readonly long BlockMarginTicks = Stopwatch.Frequency * 6 / 1000;

    // A TaskCompletionSource to complete, or ScheduledFrames to write, at each deadline.
    private readonly PriorityQueue<object, long> _waiters = new();
    private readonly Lock _gate = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private volatile bool _stopping;

    public DeadlineClock()
    {
        _thread = new Thread(Run)
        {
            IsBackground = true,
            Name = "TestLlmServer deadline clock",
        };
        _thread.Start();
    }

    public static long After(long start, double milliseconds) =>
        start + (long)(milliseconds * Stopwatch.Frequency / 1000.0);

    public Task WaitUntilAsync(long deadline, CancellationToken cancellationToken)
    {
        if (Stopwatch.GetTimestamp() >= deadline)
        {
            return Task.CompletedTask;
        }

        // Continuations go to the thread pool so that one slow writer cannot delay every other stream's wake-up.
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(
                static state => ((TaskCompletionSource)state!).TrySetCanceled(), waiter);
            waiter.Task.ContinueWith(
                static (_, state) => ((CancellationTokenRegistration)state!).Dispose(),
                registration,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        Enqueue(waiter, deadline);
        return waiter.Task;
    }

    /// <summary>Writes each frame on this clock's thread when its deadline comes; completes when all are written.</summary>
    public Task WriteWhenDueAsync(ScheduledFrames frames)
    {
        if (frames.IsEmpty)
        {
            return Task.CompletedTask;
        }

        frames.ListenForCancellation();
        Enqueue(frames, frames.NextDeadline);
        return frames.Completion;
    }

    private void Enqueue(object waiter, long deadline)
    {
        lock (_gate)
        {
            // A flush that completes after the clock stopped would otherwise queue frames that nothing ever writes.
            if (_stopping)
            {
                Abandon(waiter);
                return;
            }

            _waiters.Enqueue(waiter, deadline);
            _wake.Set();
        }
    }

    private static void Abandon(object waiter)
    {
        switch (waiter)
        {
            case TaskCompletionSource wake:
                wake.TrySetCanceled();
                break;
            case ScheduledFrames frames:
                frames.Cancel();
                break;
        }
    }

    private void Requeue(ScheduledFrames frames) => Enqueue(frames, frames.NextDeadline);

    private void Run()
    {
        RunAheadOfOtherThreads();
        var due = new List<object>();
        Action<ScheduledFrames> requeue = Requeue;
        while (!_stopping)
        {
            long next;
            lock (_gate)
            {
                var now = Stopwatch.GetTimestamp();
                while (_waiters.TryPeek(out var waiter, out var deadline) && deadline <= now)
                {
                    _waiters.Dequeue();
                    due.Add(waiter);
                }

                next = _waiters.TryPeek(out _, out var first) ? first : long.MaxValue;
            }

            foreach (var waiter in due)
            {
                if (waiter is TaskCompletionSource wake)
                {
                    wake.TrySetResult();
                }
                else if (waiter is ScheduledFrames frames && frames.WriteDue(Stopwatch.GetTimestamp(), requeue))
                {
                    Requeue(frames);
                }
            }

            if (due.Count > 0)
            {
                // Writing took time and may have queued frames already due: look again before sleeping.
                due.Clear();
                continue;
            }

            var remaining = next == long.MaxValue ? long.MaxValue : next - Stopwatch.GetTimestamp();
            if (remaining == long.MaxValue)
            {
                _wake.WaitOne();
            }
            else if (remaining > PollWindowTicks)
            {
                // A blocking wait is only millisecond-accurate; it stops well short and polling finishes the job.
                _wake.WaitOne(TimeSpan.FromSeconds((double)(remaining - BlockMarginTicks) / Stopwatch.Frequency));
            }
            else if (remaining > 0)
            {
                SleepBriefly();
            }
        }
    }

    private static void SleepBriefly()
    {
        if (OperatingSystem.IsWindows())
        {
            Thread.Sleep(0);
        }
        else
        {
            _ = Usleep(100);
        }
    }

    /// <summary>
    /// Asks Linux for the lowest real-time priority for this thread, so a deadline that falls due wakes it at once instead
    /// of after the client's and Kestrel's busy threads have had their slices (p99 1.6 ms late on two cores at 256 streams;
    /// 0.14 ms with it). The thread sleeps between deadlines, so it cannot starve the others. Where the right to it is
    /// missing (not root, no CAP_SYS_NICE) it keeps the normal priority.
    /// </summary>
    private static void RunAheadOfOtherThreads() => _ = RealTimePriority.TryRaiseCurrentThread();

    [LibraryImport("libc", EntryPoint = "usleep")]
    private static partial int Usleep(uint microseconds);

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            _wake.Set();
        }

        _thread.Join();
        lock (_gate)
        {
            while (_waiters.TryDequeue(out var waiter, out _))
            {
                Abandon(waiter);
            }
        }

        _wake.Dispose();
    }
}
