using System.Diagnostics;
using System.Threading.Channels;
using BasedEval.Core.Targets;

namespace BasedEval.Core.Workload.Load;

/// <summary>What a load run did as a whole; the per-request outcomes went to the caller as they finished.</summary>
public sealed record LoadRun(LoadModel Model, DateTimeOffset StartedUtc, double ElapsedMs, long Sent);

/// <summary>
/// Offers a workload's requests to one target under a <see cref="LoadModel"/> and reports every outcome as it ends.
/// <para>
/// Timed models (open, trace) are dispatched by one dedicated thread against absolute Stopwatch deadlines measured from
/// the start, never by accumulating delays, so an early wake-up or a slow send never shifts the rest of the plan. The
/// thread blocks while a deadline is more than 2 ms away and yields the processor in the last stretch: a blocking wait
/// is only millisecond-accurate, and spinning would take a core from the client on a small machine. At its deadline a
/// request is started on the dispatcher thread itself, its actual send time taken just before the target writes it.
/// </para>
/// <para>
/// Memory stays bounded whatever the log's length: the workload is read by a separate task into a bounded queue, far
/// ahead of the schedule, so a slow disk never delays a send; at most <see cref="LoadBounds.MaxInFlight"/> requests are
/// outstanding; and a request hands its outcome to a bounded queue before its slot is freed, so a consumer that falls
/// behind (a slow store) slows the sends instead of piling up finished responses.
/// </para>
/// </summary>
public sealed class LoadGenerator(ITarget target, LoadBounds bounds, int seed)
{
    private const int Prefetch = 1024;
    private const int OutcomeBacklog = 1024;
    private static readonly long BlockingThreshold = Stopwatch.Frequency * 2 / 1000;
    private static readonly long BlockingMargin = Stopwatch.Frequency * 3 / 2000;

    public async Task<LoadRun> RunAsync(IWorkloadSource source, LoadModel model, Func<RequestOutcome, ValueTask> onOutcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(onOutcome);
        var outcomes = Channel.CreateBounded<RequestOutcome>(new BoundedChannelOptions(OutcomeBacklog) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var consumer = Task.Run(() => ConsumeAsync(outcomes.Reader, onOutcome, stopSending), CancellationToken.None);

        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(stopSending.Token);
        var feed = Channel.CreateBounded<WorkloadRequest>(new BoundedChannelOptions(Prefetch) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var reader = Task.Run(() => FeedAsync(source, feed.Writer, stopReading.Token), CancellationToken.None);

        using var run = new Execution(target, bounds, outcomes.Writer, stopSending.Token);
        var startedUtc = DateTimeOffset.UtcNow;
        try
        {
            if (model is ClosedLoad closed)
            {
                await run.ClosedAsync(feed.Reader, closed.Concurrency);
            }
            else
            {
                var offsets = model is OpenLoad open ? open.Offsets(seed).GetEnumerator() : null;
                var scale = model is TraceLoad trace ? trace.TimeScale : 1;
                await run.TimedAsync(feed.Reader, request =>
                {
                    if (offsets is not null)
                    {
                        offsets.MoveNext();
                        return offsets.Current;
                    }

                    return request.ArrivalOffset is { } offset
                        ? offset.TotalMilliseconds / scale
                        : throw new InvalidOperationException($"Request {request.Id} has no arrival time; a trace replay needs a workload with timestamps.");
                });
                offsets?.Dispose();
            }
        }
        finally
        {
            await run.DrainAsync();
            await stopReading.CancelAsync();
            outcomes.Writer.Complete();
            await consumer;
        }

        // A reading error surfaces here, after the requests already sent have been accounted for.
        await reader;
        return new LoadRun(model, startedUtc, run.ElapsedMs, run.Sent);
    }

    private static async Task ConsumeAsync(ChannelReader<RequestOutcome> outcomes, Func<RequestOutcome, ValueTask> onOutcome, CancellationTokenSource stopSending)
    {
        try
        {
            await foreach (var outcome in outcomes.ReadAllAsync(CancellationToken.None))
            {
                await onOutcome(outcome);
            }
        }
        catch
        {
            // Requests in flight wait for room in the outcome queue: stop sending and discard what they hand over, so
            // the failure surfaces once they have ended instead of leaving them blocked.
            await stopSending.CancelAsync();
            while (await outcomes.WaitToReadAsync(CancellationToken.None))
            {
                while (outcomes.TryRead(out _))
                {
                }
            }

            throw;
        }
    }

    private static async Task FeedAsync(IWorkloadSource source, ChannelWriter<WorkloadRequest> writer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var request in source.ReadAsync(cancellationToken))
            {
                await writer.WriteAsync(request, cancellationToken);
            }

            writer.Complete();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The load ended before the workload did: by its bounds, or interrupted.
            writer.TryComplete();
        }
        catch (Exception e) when (e is WorkloadDataException or IOException)
        {
            writer.TryComplete(e);
            throw;
        }
    }

    /// <summary>The state of one run: its clock, its count of sends and of requests still in flight.</summary>
    private sealed class Execution(ITarget target, LoadBounds bounds, ChannelWriter<RequestOutcome> outcomes, CancellationToken cancellationToken) : IDisposable
    {
        private readonly long _start = Stopwatch.GetTimestamp();
        private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly SemaphoreSlim _slots = new(bounds.MaxInFlight, bounds.MaxInFlight);
        private int _inFlight = 1;
        private long _sequence;

        public double ElapsedMs => Stopwatch.GetElapsedTime(_start).TotalMilliseconds;

        public long Sent => Interlocked.Read(ref _sequence);

        public Task TimedAsync(ChannelReader<WorkloadRequest> feed, Func<WorkloadRequest, double> plannedMs)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    Dispatch(feed, plannedMs);
                    done.SetResult();
                }
#pragma warning disable CA1031 // The dispatcher thread has no caller to throw to; its failure is handed to the awaiting task.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    done.SetException(e);
                }
            })
            {
                IsBackground = true,
                Name = "load dispatcher",
                Priority = ThreadPriority.AboveNormal,
            };
            thread.Start();
            return done.Task;
        }

        public async Task ClosedAsync(ChannelReader<WorkloadRequest> feed, int concurrency)
        {
            var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                while (!cancellationToken.IsCancellationRequested && await feed.WaitToReadAsync(cancellationToken))
                {
                    if (!feed.TryRead(out var request))
                    {
                        continue;
                    }

                    // A closed-loop request is due the moment its worker is free.
                    var planned = ElapsedMs;
                    if (!TryClaim(planned, out var sequence))
                    {
                        return;
                    }

                    Interlocked.Increment(ref _inFlight);
                    await ExecuteAsync(request, sequence, planned, null);
                }
            }, CancellationToken.None));
            try
            {
                await Task.WhenAll(workers);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Interrupted: what finished has been reported.
            }
        }

        public Task DrainAsync()
        {
            Release();
            return _drained.Task;
        }

        public void Dispose() => _slots.Dispose();

        private void Dispatch(ChannelReader<WorkloadRequest> feed, Func<WorkloadRequest, double> plannedMs)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (!feed.TryRead(out var request))
                {
                    if (!WaitForFeed(feed))
                    {
                        return;
                    }

                    continue;
                }

                var planned = plannedMs(request);
                if (!TryClaim(planned, out var sequence))
                {
                    return;
                }

                // A slot is taken before the deadline so that, when the target keeps up, none is awaited at it.
                if (!TakeSlot())
                {
                    return;
                }

                WaitUntil(planned);
                if (cancellationToken.IsCancellationRequested)
                {
                    _slots.Release();
                    return;
                }

                Interlocked.Increment(ref _inFlight);

                // Started here rather than queued to the thread pool: the send runs on this thread up to its first
                // wait (writing the request on a pooled connection), so a busy pool cannot delay it.
                _ = ExecuteAsync(request, sequence, planned, _slots);
            }
        }

        private bool TakeSlot()
        {
            try
            {
                _slots.Wait(cancellationToken);
                return true;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }

        private bool WaitForFeed(ChannelReader<WorkloadRequest> feed)
        {
            try
            {
                return feed.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }

        /// <summary>Takes the next sequence number unless the count or the duration bound says to stop.</summary>
        private bool TryClaim(double plannedMs, out long sequence)
        {
            sequence = -1;
            if (bounds.Duration is { } duration && plannedMs >= duration.TotalMilliseconds)
            {
                return false;
            }

            var claimed = Interlocked.Increment(ref _sequence) - 1;
            if (bounds.MaxRequests is { } max && claimed >= max)
            {
                Interlocked.Decrement(ref _sequence);
                return false;
            }

            sequence = claimed;
            return true;
        }

        private void WaitUntil(double plannedMs)
        {
            var deadline = _start + (long)(plannedMs * Stopwatch.Frequency / 1000);
            while (true)
            {
                var remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0 || cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                if (remaining > BlockingThreshold)
                {
                    cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds((double)(remaining - BlockingMargin) / Stopwatch.Frequency));
                }
                else
                {
                    Thread.Yield();
                }
            }
        }

        /// <param name="slot">The timed dispatch's in-flight slot, freed only once the outcome is handed over.</param>
        private async Task ExecuteAsync(WorkloadRequest request, long sequence, double plannedMs, SemaphoreSlim? slot)
        {
            try
            {
                var sentMs = ElapsedMs;
                TargetResponse? response = null;
                TargetException? error = null;
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    timeout.CancelAfter(bounds.RequestTimeout);
                    try
                    {
                        response = await target.SendAsync(request.Request, timeout.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        error = new TargetException(TargetErrorKind.Timeout, $"{target.Name}: no complete answer within {bounds.RequestTimeout.TotalSeconds:0.###} s");
                    }
                    catch (TargetException e)
                    {
                        error = e;
                    }
                }

                var outcome = new RequestOutcome(request, sequence, plannedMs, sentMs, bounds.IsWarmup(sequence, plannedMs), response, error, DateTimeOffset.UtcNow);
                await outcomes.WriteAsync(outcome, CancellationToken.None);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Interrupted mid-request: there is no outcome to report.
            }
            finally
            {
                slot?.Release();
                Release();
            }
        }

        private void Release()
        {
            if (Interlocked.Decrement(ref _inFlight) == 0)
            {
                _drained.TrySetResult();
            }
        }
    }
}
