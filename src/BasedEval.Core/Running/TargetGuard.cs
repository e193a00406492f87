using System.Globalization;
using BasedEval.Core.Config;
using BasedEval.Core.Targets;
using BasedEval.Core.Tokens;

namespace BasedEval.Core.Running;

/// <summary>
/// Everything that stands between the runner and one target, applied to every attempt in this order: the spend cap,
/// the circuit breaker, adaptive concurrency, then the request and token pacers. An attempt is admitted, sent, and
/// its outcome reported back; the guard stops the run (not the requests in flight) when the budget is spent or the
/// target stays down.
/// </summary>
internal sealed class TargetGuard : IDisposable
{
    private readonly ProtectionConfig _protection;
    private readonly string _targetName;
    private readonly RunCounters _counters;
    private readonly CircuitBreaker _breaker;
    private readonly AdaptiveConcurrency _concurrency;
    private readonly Pacer? _requests;
    private readonly Pacer? _tokens;
    private readonly ITokenCounter? _promptCounter;
    private readonly CancellationTokenSource _stop;
    private string? _stopReason;
    private long _answered;
    private long _answeredTokens;

    public TargetGuard(TargetConfig target, RunCounters counters, TimeProvider time, CancellationToken cancellationToken)
    {
        _protection = target.Protection;
        _targetName = target.Name;
        _counters = counters;
        _breaker = new CircuitBreaker(_protection.Breaker, time);
        _concurrency = new AdaptiveConcurrency(target.MaxConcurrency, slowStart: true);
        _requests = _protection.RequestsPerMinute is { } rpm ? new Pacer(rpm, time) : null;
        _tokens = _protection.TokensPerMinute is { } tpm ? new Pacer(tpm, time) : null;
        _promptCounter = _tokens is null ? null : TokenCounters.For(target);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Cancelled when the run must stop starting attempts: by the caller, or by a protection.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Why a protection stopped the run; null when none did.</summary>
    public string? StopReason => Volatile.Read(ref _stopReason);

    public int LowestConcurrency => _concurrency.Lowest;

    public int BreakerOpenings => _breaker.Openings;

    public async ValueTask<Admission> AdmitAsync(PlannedSample planned)
    {
        CheckBudget();
        var token = _stop.Token;
        token.ThrowIfCancellationRequested();
        var probe = await _breaker.EnterAsync(token);
        long acquiredAt;
        try
        {
            acquiredAt = await _concurrency.AcquireAsync(token);
        }
        catch (OperationCanceledException)
        {
            _breaker.Record(probe, succeeded: false, countsAsFailure: false);
            throw;
        }

        var admission = new Admission(acquiredAt, probe, TokensToReserve(planned.Request));
        try
        {
            var wait = (_requests?.Reserve(1) ?? TimeSpan.Zero) + (_tokens?.Reserve(admission.ReservedTokens) ?? TimeSpan.Zero);
            if (wait > TimeSpan.Zero)
            {
                _counters.WaitedForRate(wait);
                await Task.Delay(wait, token);
            }
        }
        catch (OperationCanceledException)
        {
            Abandon(admission);
            throw;
        }

        return admission;
    }

    /// <summary>Returns an admission whose request was never sent.</summary>
    public void Abandon(Admission admission)
    {
        _concurrency.Release(admission.AcquiredAt, rateLimited: false);
        _breaker.Record(admission.Probe, succeeded: false, countsAsFailure: false);
    }

    public void Succeeded(Admission admission, TargetResponse response)
    {
        _concurrency.Release(admission.AcquiredAt, rateLimited: false);
        var tokens = response.Usage.InputTokens + response.Usage.OutputTokens;
        Interlocked.Increment(ref _answered);
        Interlocked.Add(ref _answeredTokens, tokens);
        _tokens?.Correct(tokens - admission.ReservedTokens);
        _breaker.Record(admission.Probe, succeeded: true, countsAsFailure: false);
    }

    public void Failed(Admission admission, TargetException failure)
    {
        var rateLimited = failure.Kind == TargetErrorKind.RateLimited;
        _concurrency.Release(admission.AcquiredAt, rateLimited);
        var countsAsFailure = failure.Kind is TargetErrorKind.ServerError or TargetErrorKind.Connection or TargetErrorKind.Timeout;
        if (_breaker.Record(admission.Probe, succeeded: false, countsAsFailure))
        {
            Stop(string.Create(
                CultureInfo.InvariantCulture,
                $"target `{_targetName}` looks unavailable: the circuit breaker opened {_breaker.Openings} times and {_protection.Breaker.MaxFailedProbes} probes in a row failed (last: {failure.Message})"));
        }
    }

    /// <summary>Stops the run once what it has spent reaches the cap; requests already in flight still finish and are stored.</summary>
    public void CheckBudget()
    {
        if (_protection.MaxUsd is { } cap && _counters.CostUsd >= cap)
        {
            Stop(string.Create(CultureInfo.InvariantCulture, $"spend cap reached: target `{_targetName}` has spent ${_counters.CostUsd:0.######} of its max_usd ${cap:0.######} in this run"));
        }
    }

    public void Dispose() => _stop.Dispose();

    private void Stop(string reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, reason, null) is null)
        {
            _stop.Cancel();
        }
    }

    /// <summary>
    /// What a request will likely cost before its usage is known: its prompt counted by the target's tokenizer, or the mean
    /// of what answers so far really cost when that is more (the output, and a chat template's tokens).
    /// </summary>
    private int TokensToReserve(TargetRequest request)
    {
        var prompt = _promptCounter?.CountMessages(request.Messages) ?? 0;
        var answered = Interlocked.Read(ref _answered);
        return answered == 0 ? prompt : Math.Max(prompt, (int)(Interlocked.Read(ref _answeredTokens) / answered));
    }

    internal readonly record struct Admission(long AcquiredAt, bool Probe, int ReservedTokens);
}
