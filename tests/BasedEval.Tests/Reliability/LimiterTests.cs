using BasedEval.Core.Config;
using BasedEval.Core.Running;
using FsCheck;
using FsCheck.Fluent;

namespace BasedEval.Tests.Reliability;

/// <summary>The protections' arithmetic, on a hand-driven clock where time matters.</summary>
public class LimiterTests
{
    [Fact]
    public void The_pacer_spaces_requests_evenly_and_builds_up_no_burst_while_idle()
    {
        var clock = new ManualClock();
        var pacer = new Pacer(600, clock);

        Assert.Equal([0, 100, 200, 300], Enumerable.Range(0, 4).Select(_ => pacer.Reserve(1).TotalMilliseconds).ToArray());
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal([0, 100, 200], Enumerable.Range(0, 3).Select(_ => pacer.Reserve(1).TotalMilliseconds).ToArray());
    }

    [Fact]
    public void A_correction_moves_every_later_reservation()
    {
        var clock = new ManualClock();
        var tokens = new Pacer(60_000, clock);

        Assert.Equal(0, tokens.Reserve(100).TotalMilliseconds);
        tokens.Correct(400);
        Assert.Equal(500, tokens.Reserve(10).TotalMilliseconds);
        tokens.Correct(-200);
        Assert.Equal(310, tokens.Reserve(1).TotalMilliseconds);
    }

    [Fact]
    public void No_sixty_second_window_ever_holds_more_requests_than_the_rate()
    {
        Prop.ForAll(
            Gen.Choose(1, 300).ToArbitrary(),
            Gen.ListOf(Gen.Choose(0, 5_000)).ToArbitrary(),
            (rpm, gapsMs) =>
            {
                var clock = new ManualClock();
                var pacer = new Pacer(rpm, clock);
                var starts = new List<TimeSpan>();
                foreach (var gap in gapsMs)
                {
                    clock.Advance(TimeSpan.FromMilliseconds(gap));
                    starts.Add(clock.Elapsed + pacer.Reserve(1));
                }

                starts.Sort();
                return starts.Select((start, i) => starts.Skip(i).TakeWhile(s => s - start < TimeSpan.FromSeconds(60)).Count()).All(n => n <= rpm);
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_rate_limit_halves_concurrency_once_per_overload_and_successes_win_it_back_one_slot_per_round()
    {
        var limiter = new AdaptiveConcurrency(16);
        var early = Acquire(limiter, 4);

        limiter.Release(early[0], rateLimited: true);
        Assert.Equal(8, limiter.Limit);
        // Sent before the cut: the same overload, not a new one.
        limiter.Release(early[1], rateLimited: true);
        Assert.Equal(8, limiter.Limit);

        var late = Acquire(limiter, 1);
        limiter.Release(late[0], rateLimited: true);
        Assert.Equal(4, limiter.Limit);

        limiter.Release(early[2], rateLimited: false);
        limiter.Release(early[3], rateLimited: false);
        for (var i = 0; i < 4; i++)
        {
            limiter.Release(Acquire(limiter, 1)[0], rateLimited: false);
        }

        Assert.Equal(5, limiter.Limit);
        Assert.Equal(4, limiter.Lowest);
    }

    [Fact]
    public void Slow_start_doubles_the_limit_each_round_until_the_maximum_or_the_first_rate_limit()
    {
        var limiter = new AdaptiveConcurrency(16, slowStart: true);
        Assert.Equal(1, limiter.Limit);

        limiter.Release(Acquire(limiter, 1)[0], rateLimited: false);
        Assert.Equal(2, limiter.Limit);
        foreach (var slot in Acquire(limiter, 2))
        {
            limiter.Release(slot, rateLimited: false);
        }

        Assert.Equal(4, limiter.Limit);
        var round = Acquire(limiter, 4);
        limiter.Release(round[0], rateLimited: true);
        Assert.Equal(2, limiter.Limit);
        limiter.Release(round[1], rateLimited: false);
        // After a rate limit, growth is additive: half a slot at a limit of two.
        Assert.Equal(2, limiter.Limit);
        Assert.Equal(2, limiter.Lowest);
    }

    [Fact]
    public async Task Concurrency_never_falls_below_one_and_waiters_get_slots_in_order()
    {
        var shrinking = new AdaptiveConcurrency(2);
        shrinking.Release(Acquire(shrinking, 1)[0], rateLimited: true);
        shrinking.Release(Acquire(shrinking, 1)[0], rateLimited: true);
        Assert.Equal(1, shrinking.Limit);

        var limiter = new AdaptiveConcurrency(1);
        var held = Acquire(limiter, 1);
        var first = limiter.AcquireAsync(TestContext.Current.CancellationToken).AsTask();
        var second = limiter.AcquireAsync(TestContext.Current.CancellationToken).AsTask();
        Assert.False(first.IsCompleted);
        limiter.Release(held[0], rateLimited: false);
        var firstStamp = await first.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted);
        limiter.Release(firstStamp, rateLimited: false);
        await second.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_cancelled_waiter_gives_up_its_place_without_taking_a_slot()
    {
        var limiter = new AdaptiveConcurrency(1);
        var held = Acquire(limiter, 1);
        using var cancel = new CancellationTokenSource();
        var waiting = limiter.AcquireAsync(cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        limiter.Release(held[0], rateLimited: false);
        Assert.True(limiter.AcquireAsync(TestContext.Current.CancellationToken).AsTask().IsCompleted);
    }

    [Fact]
    public async Task The_breaker_opens_after_consecutive_failures_and_lets_one_probe_through_after_the_pause()
    {
        var breaker = new CircuitBreaker(new BreakerConfig(3, TimeSpan.FromMilliseconds(150), 2), TimeProvider.System);
        breaker.Record(probe: false, succeeded: false, countsAsFailure: true);
        breaker.Record(probe: false, succeeded: false, countsAsFailure: true);
        breaker.Record(probe: false, succeeded: true, countsAsFailure: false);
        for (var i = 0; i < 5; i++)
        {
            // Rate limits are for the concurrency limiter; they never open the breaker.
            breaker.Record(probe: false, succeeded: false, countsAsFailure: false);
        }

        Assert.False(await breaker.EnterAsync(TestContext.Current.CancellationToken));
        // Started before the breaker opens, so the pause can only look longer on this clock, never shorter.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 3; i++)
        {
            breaker.Record(probe: false, succeeded: false, countsAsFailure: true);
        }

        Assert.Equal(1, breaker.Openings);
        Assert.True(await breaker.EnterAsync(TestContext.Current.CancellationToken));
        Assert.True(clock.Elapsed.TotalMilliseconds >= 150 - 0.01, $"the probe went after {clock.Elapsed.TotalMilliseconds:F3} ms");
        var second = breaker.EnterAsync(TestContext.Current.CancellationToken).AsTask();
        await Task.Delay(60, TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted);

        breaker.Record(probe: true, succeeded: true, countsAsFailure: false);
        Assert.False(await second.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_breaker_gives_up_after_the_configured_failed_probes_in_a_row()
    {
        var breaker = new CircuitBreaker(new BreakerConfig(1, TimeSpan.FromMilliseconds(10), 3), TimeProvider.System);
        breaker.Record(probe: false, succeeded: false, countsAsFailure: true);
        var gaveUp = new List<bool>();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await breaker.EnterAsync(TestContext.Current.CancellationToken));
            gaveUp.Add(breaker.Record(probe: true, succeeded: false, countsAsFailure: true));
        }

        Assert.Equal([false, false, true], gaveUp);
        Assert.True(breaker.GaveUp);
    }

    [Fact]
    public void Zero_failures_turns_the_breaker_off()
    {
        var breaker = new CircuitBreaker(new BreakerConfig(0, TimeSpan.FromHours(1), 1), TimeProvider.System);
        for (var i = 0; i < 100; i++)
        {
            Assert.False(breaker.Record(probe: false, succeeded: false, countsAsFailure: true));
        }

        Assert.Equal(0, breaker.Openings);
    }

    private static long[] Acquire(AdaptiveConcurrency limiter, int count) =>
        Enumerable.Range(0, count).Select(_ =>
        {
            var task = limiter.AcquireAsync(CancellationToken.None);
            Assert.True(task.IsCompleted, "no free slot");
            return task.Result;
        }).ToArray();

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public TimeSpan Elapsed => TimeSpan.FromTicks(_ticks);

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
