using System.CommandLine;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Workload;
using BasedEval.Core.Workload.Load;

namespace BasedEval.Cli.Commands;

/// <summary>What `replay` and `bench` share: choosing target and workload, the load bounds, and workload errors as exit code 2.</summary>
internal static class WorkloadCommandSupport
{
    public static Option<string> TargetOption() => new("--target", "-t") { Description = "Target name from evals.yaml", Required = true };

    public static Option<string> WorkloadOption() => new("--workload", "-w") { Description = "Workload name from evals.yaml (under `workloads:`)", Required = true };

    public static Option<double?> DurationOption(string description) => new("--duration") { Description = description };

    public static Option<long?> RequestsOption() => new("--requests", "-n") { Description = "Send at most this many requests (warm-up included)" };

    public static Option<double> WarmupOption(double seconds) => new("--warmup") { Description = "Seconds from the start whose requests are sent but left out of the metrics", DefaultValueFactory = _ => seconds };

    public static Option<int> WarmupRequestsOption() => new("--warmup-requests") { Description = "First requests sent but left out of the metrics", DefaultValueFactory = _ => 0 };

    public static Option<int> MaxInFlightOption() => new("--max-in-flight")
    {
        Description = "Open and trace loads: most requests outstanding at once; when the target falls behind, sends wait (reported as send lag)",
        DefaultValueFactory = _ => LoadBounds.DefaultMaxInFlight,
    };

    public static Option<bool> DryRunOption() => new("--dry-run")
    {
        Description = "Send nothing: count the workload in the target's own tokens, and in those of every target it is compared with, and show what each would cost a month",
    };

    /// <summary>
    /// The dry run of `replay` and `bench`: the target and every target a comparison pairs it with, each counting the
    /// workload with its own tokenizer, so the bills are compared in each model's tokens rather than one estimate.
    /// </summary>
    public static async Task<int> DryRunAsync(TextWriter output, EvalConfig config, TargetConfig target, WorkloadConfig workload, CancellationToken cancellationToken)
    {
        var paired = config.Comparisons.Values
            .Where(c => c.Baseline == target.Name || c.Candidate == target.Name)
            .SelectMany(c => new[] { c.Baseline, c.Candidate })
            .Where(name => name != target.Name)
            .Distinct(StringComparer.Ordinal)
            .Select(name => config.Targets[name]);
        var projections = await TokenCostProjection.ForTargetsAsync(workload, [target, .. paired], cancellationToken);
        await output.WriteAsync(WorkloadDisplay.TokenCosts(workload.Name, projections));
        return ExitCodes.Pass;
    }

    public static Task<int> GuardAsync(ParseResult parse, Func<TextWriter, Task<int>> body) =>
        CommandSupport.GuardAsync(parse, async output =>
        {
            try
            {
                return await body(output);
            }
            catch (WorkloadDataException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.InvalidInput;
            }
        });

    public static (TargetConfig Target, WorkloadConfig Workload) Resolve(EvalConfig config, string target, string workload)
    {
        var workloads = config.Workloads ?? new Dictionary<string, WorkloadConfig>();
        if (!config.Targets.TryGetValue(target, out var targetConfig))
        {
            throw new ConfigException($"--target names `{target}`, which {config.SourcePath} does not define", $"use one of: {string.Join(", ", config.Targets.Keys)}");
        }

        if (!workloads.TryGetValue(workload, out var workloadConfig))
        {
            throw new ConfigException(
                $"--workload names `{workload}`, which {config.SourcePath} does not define",
                workloads.Count == 0 ? "define it under `workloads:` with `format` and `path`" : $"use one of: {string.Join(", ", workloads.Keys)}");
        }

        return (targetConfig, workloadConfig);
    }

    public static LoadBounds Bounds(double? durationSeconds, long? requests, double warmupSeconds, int warmupRequests, int maxInFlight, TargetConfig target)
    {
        if (durationSeconds is <= 0 || requests is <= 0 || warmupSeconds < 0 || warmupRequests < 0 || maxInFlight <= 0)
        {
            throw new ConfigException("--duration, --requests and --max-in-flight must be positive, --warmup and --warmup-requests not negative", "pass positive numbers, such as --duration 30 --requests 500 --warmup 5");
        }

        return new LoadBounds(durationSeconds is { } d ? TimeSpan.FromSeconds(d) : null, requests, TimeSpan.FromSeconds(warmupSeconds), warmupRequests, target.Timeout, maxInFlight);
    }
}
