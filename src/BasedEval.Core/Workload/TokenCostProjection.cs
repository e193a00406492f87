using BasedEval.Core.Config;
using BasedEval.Core.Running;
using BasedEval.Core.Tokens;

namespace BasedEval.Core.Workload;

/// <summary>
/// What a recorded workload costs on one target in that target's own tokens, before any call: the same traffic is a
/// different number of tokens under o200k and under Llama 3's vocabulary, and so a different bill. Output is the
/// recorded answer counted by the same tokenizer, or max_tokens (<see cref="RunEstimate.AssumedOutputTokens"/> where none
/// is set) where the log kept no answer. <see cref="OverContext"/> counts requests whose prompt and max_tokens exceed the
/// target's context window. Monthly figures are null where the volume is not known or the target is priced by GPU-hour,
/// which only a measured run can turn into a price.
/// </summary>
public sealed record TokenCostProjection(
    string Target,
    string Tokenizer,
    bool Estimated,
    long Requests,
    long InputTokens,
    long OutputTokens,
    double WorkloadUsd,
    double? MonthlyRequests,
    double? MonthlyUsd,
    int? ContextWindow,
    int OverContext)
{
    /// <summary>Reads the workload once and counts it under every target's tokenizer; targets sharing a tokenizer share its counts.</summary>
    public static async Task<IReadOnlyList<TokenCostProjection>> ForTargetsAsync(WorkloadConfig workload, IReadOnlyList<TargetConfig> targets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(targets);
        var counters = targets.Select(TokenCounters.For).ToList();
        var tallies = targets.Select(_ => new Tally()).ToArray();
        long requests = 0;
        TimeSpan? lastArrival = null;
        var source = await WorkloadSources.OpenAsync(workload, cancellationToken);
        await foreach (var request in source.ReadAsync(cancellationToken))
        {
            requests++;
            lastArrival = request.ArrivalOffset ?? lastArrival;
            var counted = new Dictionary<ITokenCounter, (int Input, int Output)>(ReferenceEqualityComparer.Instance);
            for (var i = 0; i < targets.Count; i++)
            {
                if (!counted.TryGetValue(counters[i], out var tokens))
                {
                    var maxTokens = request.Request.Sampling.MaxTokens ?? RunEstimate.AssumedOutputTokens;
                    tokens = (counters[i].CountMessages(request.Request.Messages), request.Recorded is { } answer ? counters[i].Count(answer.Text) : maxTokens);
                    counted[counters[i]] = tokens;
                }

                tallies[i].Add(targets[i], tokens.Input, tokens.Output, request.Request.Sampling.MaxTokens ?? 0);
            }
        }

        // A timed log's own pace sets the volume where monthly_requests is not given.
        double? recordedRate = lastArrival is { TotalSeconds: > 0 } span && requests > 1 ? (requests - 1) / span.TotalSeconds : null;
        var monthly = CostProjection.MonthlyVolume(workload, recordedRate);
        return targets.Select((target, i) =>
        {
            var tally = tallies[i];
            double? monthlyUsd = target.Gpu is null && monthly is { } volume && requests > 0 ? tally.Usd / requests * volume : null;
            return new TokenCostProjection(target.Name, counters[i].Name, counters[i].IsEstimate, requests, tally.Input, tally.Output, tally.Usd, monthly, monthlyUsd, target.ContextWindow, tally.OverContext);
        }).ToList();
    }

    private sealed class Tally
    {
        public long Input { get; private set; }

        public long Output { get; private set; }

        public double Usd { get; private set; }

        public int OverContext { get; private set; }

        public void Add(TargetConfig target, int input, int output, int maxTokens)
        {
            Input += input;
            Output += output;
            Usd += target.Prices.CostUsd(input, 0, output);
            if (target.ContextWindow is { } window && input + maxTokens > window)
            {
                OverContext++;
            }
        }
    }
}
