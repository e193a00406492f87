using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;

namespace BasedEval.TestServer;

/// <summary>
/// One stream's timed frames, written by the deadline clock's own thread when each falls due. A frame handed back to
/// the request's thread-pool continuation waits behind every other queued work item: under load that queue, not the
/// clock, made first chunks milliseconds late. The handler awaits <see cref="Completion"/> and does not touch the
/// writer until it completes; from then on the clock never touches it again.
/// </summary>
internal sealed class ScheduledFrames
{
    private const int Queued = 0;
    private const int Writing = 1;
    private const int Finished = 2;

    private readonly PipeWriter _writer;
    private readonly IReadOnlyList<byte[]> _frames;
    private readonly long[] _deadlines;
    private readonly Action<long, long>? _firstWritten;
    private readonly Func<Task>? _completeBody;
    private readonly CancellationToken _cancellationToken;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _registration;
    private int _next;
    private int _state = Queued;

    /// <param name="firstWritten">Called on the clock thread with the first frame's deadline and the time it was written.</param>
    /// <param name="completeBody">
    /// Ends the response body right after the last frame, so that the chunked encoding's end leaves with it and not when a
    /// busy pool resumes the handler: a client reading late would otherwise see the answer's arrival stamped with it.
    /// </param>
    public ScheduledFrames(
        PipeWriter writer, IReadOnlyList<byte[]> frames, long[] deadlines, Action<long, long>? firstWritten, Func<Task>? completeBody, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(deadlines.Length, frames.Count, nameof(deadlines));
        (_writer, _frames, _deadlines, _firstWritten, _completeBody, _cancellationToken) = (writer, frames, deadlines, firstWritten, completeBody, cancellationToken);
    }

    public Task Completion => _completion.Task;

    public bool IsEmpty => _frames.Count == 0;

    public long NextDeadline => _deadlines[_next];

    /// <summary>Registers for cancellation before it is first queued: a cancelled stream completes at once, not at its next deadline.</summary>
    public void ListenForCancellation()
    {
        if (_cancellationToken.CanBeCanceled)
        {
            _registration = _cancellationToken.Register(static state => ((ScheduledFrames)state!).Cancel(), this);
        }
    }

    /// <summary>Writes the frames now due; returns true when another is to be queued at <see cref="NextDeadline"/>.</summary>
    public bool WriteDue(long now, Action<ScheduledFrames> requeueLater)
    {
        if (Interlocked.CompareExchange(ref _state, Writing, Queued) != Queued)
        {
            return false;
        }

        // Frames due together leave in one flush, one segment: a client that reads late still stamps the first of them
        // with its own arrival, since no later segment was merged in.
        ValueTask<FlushResult> flush;
        try
        {
            if (_next == 0)
            {
                // Stamped now, not when the clock woke: streams written before this one in the same wake-up took time.
                _firstWritten?.Invoke(_deadlines[0], Stopwatch.GetTimestamp());
            }

            do
            {
                _writer.Write(_frames[_next++]);
            }
            while (_next < _frames.Count && _deadlines[_next] <= now);
            flush = _writer.FlushAsync(CancellationToken.None);
        }
        catch (Exception error)
        {
            Finish(error);
            return false;
        }

        if (!flush.IsCompleted)
        {
            // The client is not reading and the pipe is full: the next frame waits for room, off the clock thread.
            flush.AsTask().ContinueWith(
                static (written, state) =>
                {
                    var (frames, requeue) = ((ScheduledFrames, Action<ScheduledFrames>))state!;
                    if (frames.AfterFlush(written.IsCompletedSuccessfully ? written.Result : null, written.Exception))
                    {
                        requeue(frames);
                    }
                },
                (this, requeueLater),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            return false;
        }

        return AfterFlush(flush.Result, null);
    }

    private bool AfterFlush(FlushResult? result, Exception? error)
    {
        if (error is not null || result is not { IsCanceled: false, IsCompleted: false } || _cancellationToken.IsCancellationRequested)
        {
            Finish(error);
            return false;
        }

        if (_next == _frames.Count)
        {
            CompleteBody();
            return false;
        }

        Volatile.Write(ref _state, Queued);
        // A cancellation that came while this frame was being written found it busy and did nothing: act on it now.
        if (_cancellationToken.IsCancellationRequested)
        {
            Cancel();
            return false;
        }

        return true;
    }

    /// <summary>Completes as cancelled unless the clock is writing a frame now; a frame being written finishes first.</summary>
    public void Cancel()
    {
        if (Interlocked.CompareExchange(ref _state, Finished, Queued) == Queued)
        {
            _completion.TrySetCanceled(_cancellationToken);
        }
    }

    private void CompleteBody()
    {
        Task completing;
        try
        {
            completing = _completeBody?.Invoke() ?? Task.CompletedTask;
        }
        catch (Exception error)
        {
            Finish(error);
            return;
        }

        if (completing.IsCompleted)
        {
            Finish(completing.Exception?.InnerException);
            return;
        }

        completing.ContinueWith(
            static (completed, state) => ((ScheduledFrames)state!).Finish(completed.Exception?.InnerException),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Finish(Exception? error)
    {
        Volatile.Write(ref _state, Finished);
        _registration.Dispose();
        if (error is not null)
        {
            _completion.TrySetException(error);
        }
        else if (_next < _frames.Count)
        {
            _completion.TrySetCanceled(_cancellationToken.IsCancellationRequested ? _cancellationToken : new CancellationToken(true));
        }
        else
        {
            _completion.TrySetResult();
        }
    }
}
