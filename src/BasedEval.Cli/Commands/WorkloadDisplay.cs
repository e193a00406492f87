using System.Globalization;
using System.Text;
using BasedEval.Core.Config;
using BasedEval.Core.Statistics;
using BasedEval.Core.Workload;

namespace BasedEval.Cli.Commands;

/// <summary>The terminal tables of `replay` and `bench`; figures in the invariant culture so logs read the same everywhere.</summary>
internal static class WorkloadDisplay
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Metrics(ReplayOutcome replay, SloConfig slos)
    {
        var m = replay.Metrics;
        var text = new StringBuilder();
        text.AppendLine(Inv, $"run {replay.RunId}: {m.Model}; {m.Measured} measured, {m.Warmup} warm-up, {m.Failed} failed{Errors(m)}; measured window {m.WindowSeconds:0.###} s");
        text.AppendLine(Inv, $"  {"",-12}{"p50",10}{"p90",10}{"p95",10}{"p99",10}   p99 95% CI");
        Row(text, "TTFT ms", m.Ttft);
        Row(text, "TPOT ms", m.Tpot);
        Row(text, "ITL ms", m.Itl);
        Row(text, "E2E ms", m.E2e);
        Row(text, "send lag ms", m.Lag);
        text.AppendLine(Inv, $"  throughput {m.RequestsPerSecond:0.###} req/s, {m.OutputTokensPerSecond:0.#} output tok/s; goodput {m.GoodputPerSecond:0.###} req/s");
        text.AppendLine(Inv, $"  SLOs {Slos(slos)}: attainment {Percent(m.Attainment)} (needs {Percent(slos.Attainment)}) → {(m.MeetsSlos ? "met" : "missed")}");
        return text.ToString();
    }

    public static string Sweep(SweepResult sweep, SloConfig slos)
    {
        var text = new StringBuilder();
        text.AppendLine(Inv, $"  {"load",-10}{"req/s",9}{"tok/s",10}{"goodput",9}{"attain",8}{"TTFT p50",10}{"TTFT p99",10}{"TPOT p50",10}{"TPOT p99",10}{"E2E p99",10}{"lag p99",9}  SLOs");
        foreach (var level in sweep.Levels)
        {
            var m = level.Replay.Metrics;
            text.AppendLine(Inv,
                $"  {SaturationSweep.LoadLabel(sweep.Closed, level.Load),-10}{m.RequestsPerSecond,9:0.##}{m.OutputTokensPerSecond,10:0.#}{m.GoodputPerSecond,9:0.##}{Percent(m.Attainment),8}{m.Ttft.P50,10:0.#}{m.Ttft.P99,10:0.#}{m.Tpot.P50,10:0.##}{m.Tpot.P99,10:0.##}{m.E2e.P99,10:0.#}{m.Lag.P99,9:0.##}  {(m.MeetsSlos ? "met" : "missed")}");
        }

        text.AppendLine(sweep.Knee is { } knee
            ? string.Create(Inv, $"knee: {SaturationSweep.LoadLabel(sweep.Closed, knee.Load)}, the highest load meeting SLOs {Slos(slos)} for {Percent(slos.Attainment)} of requests: {knee.Replay.Metrics.GoodputPerSecond:0.###} req/s goodput, {knee.Replay.Metrics.OutputTokensPerSecond:0.#} output tok/s")
            : string.Create(Inv, $"knee: none; even the lowest load missed SLOs {Slos(slos)}"));
        return text.ToString();
    }

    public static string Cost(CostProjection cost)
    {
        var text = new StringBuilder();
        text.Append(Inv, $"  cost ({cost.Basis}): ${cost.UsdPerRequest:0.######} per request, ${cost.UsdPerMillionTokens:0.###}/Mtok, ${cost.UsdPerMillionOutputTokens:0.###}/Mtok output");
        if (cost.BlendedUsdPerMillion is { } blended)
        {
            text.Append(Inv, $", blended 3:1 price ${blended:0.###}/Mtok");
        }

        text.AppendLine();
        if (cost.MonthlyRequests is { } monthly)
        {
            var replicas = cost.Replicas is { } r ? string.Create(Inv, $" with {r} replica(s)") : string.Empty;
            text.AppendLine(Inv, $"  monthly at {monthly:N0} requests: ${cost.MonthlyUsd:N0}{replicas}");
        }

        return text.ToString();
    }

    public static string TokenCosts(string workload, IReadOnlyList<TokenCostProjection> projections)
    {
        var text = new StringBuilder();
        var first = projections.Count > 0 ? projections[0] : null;
        text.AppendLine(Inv, $"dry run: workload `{workload}`, {first?.Requests ?? 0} requests, nothing sent; each target's tokens counted by its own tokenizer");
        text.AppendLine(Inv, $"  {"target",-20}{"tokenizer",-28}{"input tok",14}{"output tok",14}{"workload $",12}{"$/month",14}  context");
        foreach (var p in projections)
        {
            var monthly = p.MonthlyUsd is { } usd ? usd.ToString("N2", Inv) : "—";
            var context = p.ContextWindow is null ? "window unknown" : p.OverContext == 0 ? string.Create(Inv, $"all fit {p.ContextWindow:N0}") : string.Create(Inv, $"{p.OverContext} exceed {p.ContextWindow:N0}");
            text.AppendLine(Inv, $"  {p.Target,-20}{p.Tokenizer + (p.Estimated ? " (estimated)" : string.Empty),-28}{p.InputTokens,14:N0}{p.OutputTokens,14:N0}{p.WorkloadUsd,12:0.####}{monthly,14}  {context}");
        }

        text.AppendLine(first?.MonthlyRequests is { } volume
            ? string.Create(Inv, $"  $/month at {volume:N0} requests a month; output is the recorded answers, or max_tokens where none was kept")
            : "  $/month needs the volume: set `monthly_requests` on the workload, or use a log with timestamps");
        return text.ToString();
    }

    public static string Review(ReviewSummary review) => string.Create(Inv,
        $"  quality ({review.Method}): {review.Acceptable} of {review.Judged} judged acceptable ({Percent(review.AcceptableShare)}); {review.Unjudged} unjudged, {review.NoBaseline} without a baseline answer; quality-aware goodput {review.QualityGoodputPerSecond:0.###} req/s; judge cost ${review.JudgeCostUsd:0.####} ({review.JudgeUsage.InputTokens + review.JudgeUsage.OutputTokens} tokens, apart from the target's)\n");

    public static string Slos(SloConfig slos)
    {
        if (slos.IsEmpty)
        {
            return "(none set: every request must succeed)";
        }

        var parts = new List<string>();
        if (slos.TtftMs is { } t)
        {
            parts.Add(string.Create(Inv, $"TTFT ≤ {t:0.###} ms"));
        }

        if (slos.TpotMs is { } p)
        {
            parts.Add(string.Create(Inv, $"TPOT ≤ {p:0.###} ms"));
        }

        if (slos.E2eMs is { } e)
        {
            parts.Add(string.Create(Inv, $"E2E ≤ {e:0.###} ms"));
        }

        return string.Join(", ", parts);
    }

    private static void Row(StringBuilder text, string name, PercentileSummary s)
    {
        if (s.Count == 0)
        {
            text.AppendLine(Inv, $"  {name,-12}{"—",10}");
            return;
        }

        text.AppendLine(Inv, $"  {name,-12}{s.P50,10:0.###}{s.P90,10:0.###}{s.P95,10:0.###}{s.P99,10:0.###}   {Interval(s.P99Interval)}");
    }

    private static string Interval(Interval i) => double.IsNaN(i.Lower) ? "—" : string.Create(Inv, $"[{i.Lower:0.###}, {i.Upper:0.###}]");

    private static string Percent(double share) => double.IsNaN(share) ? "—" : string.Create(Inv, $"{share * 100:0.0}%");

    private static string Errors(LoadMetrics m) =>
        m.Errors.Count == 0 ? string.Empty : " (" + string.Join(", ", m.Errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => string.Create(Inv, $"{e.Key} {e.Value}"))) + ")";
}
