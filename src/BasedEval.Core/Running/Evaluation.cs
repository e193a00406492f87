using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Reporting;
using BasedEval.Core.Storage;
using BasedEval.Core.Suites;
using BasedEval.Core.Targets;
using BasedEval.Core.Tokens;
using BasedEval.Core.Workload;

namespace BasedEval.Core.Running;

/// <param name="Shard">This process's part of a sharded run; null runs the whole plan.</param>
/// <param name="RunId">The run's id; by default a sharded run derives one every shard agrees on, an unsharded one gets a new one.</param>
public sealed record RunRequest(string TargetName, IReadOnlyList<string> SuiteNames, int? Limit, string? ResumeRunId, ShardSpec? Shard = null, string? RunId = null);

/// <param name="Shard">Runs this shard of both runs, then compares what the store holds: INCONCLUSIVE until every shard is in.</param>
public sealed record CompareRequest(string? ComparisonName, string? Baseline, string? Candidate, int? Limit, string? BaselineRunId = null, string? CandidateRunId = null, ShardSpec? Shard = null);

/// <param name="Cached">Planned samples the store already answers, so they would not be sent.</param>
/// <param name="EstimatedUsd">The input as counted locally plus max_tokens of output per sample sent (<see cref="AssumedOutputTokens"/> where none is set): an upper bound on what the answers cost where max_tokens is set.</param>
/// <param name="CacheChecked">False for a local target, whose stored answers are not looked up before a run.</param>
public sealed record RunEstimate(string TargetName, int Planned, int Cached, double EstimatedUsd, bool CacheChecked)
{
    public const int AssumedOutputTokens = 512;

    public int ToSend => Planned - Cached;
}

public sealed record CompareOutcome(ComparisonResult Result, IReadOnlyList<string> ReportFiles, RunOutcome? BaselineRun, RunOutcome? CandidateRun);

/// <summary>A comparison as separate shard processes carry it out: each runs the suites, in this order, for one target.</summary>
/// <param name="BaselineRunId">The run id every shard of the baseline derives, so a last step can compare the runs by id.</param>
public sealed record ShardedComparison(string Name, string Baseline, string Candidate, IReadOnlyList<string> Suites, int ShardCount, string BaselineRunId, string CandidateRunId);

/// <summary>
/// The product's two jobs, composed from the stages: config → plan → runner → target → store, then store → analysis
/// → reports. The command line only parses arguments and renders what these return.
/// </summary>
public sealed class Evaluation(EvalConfig config, IResultStore store, TargetFactory targets, IRunObserver observer)
{
    public static string ToolVersion { get; } =
        typeof(Evaluation).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>
    /// Send every request even when the store already holds this endpoint's answer to it (--no-cache): latency is then
    /// measured on every item. A resumed run still keeps its own finished samples.
    /// </summary>
    public bool BypassCache { get; init; }

    public async Task<RunOutcome> RunAsync(RunRequest request, CancellationToken cancellationToken)
    {
        var target = Target(config, request.TargetName, "--target");
        var suiteNames = request.SuiteNames.Count > 0 ? request.SuiteNames : config.Suites.Keys.ToList();
        var runId = request.RunId;
        if (request.ResumeRunId is { } resume)
        {
            var existing = await store.GetRunAsync(resume, cancellationToken)
                ?? throw new ConfigException($"there is no run `{resume}` in the store {config.StorePath}", "list runs with `basedeval runs`, and pass one of their ids to --resume");
            if (existing.TargetName != target.Name)
            {
                throw new ConfigException($"run `{resume}` belongs to target `{existing.TargetName}`, not `{target.Name}`", $"resume it with --target {existing.TargetName}");
            }

            runId = resume;
            suiteNames = existing.Suites;
        }

        return await ExecuteRunAsync(runId, target, suiteNames, request.Limit, request.Shard, cancellationToken);
    }

    /// <summary>
    /// Runs items that are not a suite of evals.yaml (SWE-bench prompts built from local repositories) through the same plan,
    /// runner, cache and store as <see cref="RunAsync"/>, so each answer is a stored sample with its timings, usage and cost.
    /// </summary>
    public Task<RunOutcome> RunItemsAsync(string targetName, PlannedSuite suite, CancellationToken cancellationToken)
    {
        var target = Target(config, targetName, "--target");
        return RunPlannedAsync(NewId("run", target.Name), target, [suite], cancellationToken);
    }

    public async Task<CompareOutcome> CompareAsync(CompareRequest request, CancellationToken cancellationToken)
    {
        var comparison = ResolveComparison(config, request);
        RunOutcome? baselineOutcome = null, candidateOutcome = null;
        string baselineRunId, candidateRunId;
        if (request.BaselineRunId is not null && request.CandidateRunId is not null)
        {
            baselineRunId = request.BaselineRunId;
            candidateRunId = request.CandidateRunId;
        }
        else
        {
            // One model at a time: two models measured at once on one machine would slow each other and blur the latency comparison.
            baselineOutcome = await ExecuteRunAsync(null, Target(config, comparison.Baseline, "baseline"), comparison.Suites, request.Limit, request.Shard, cancellationToken);
            EnsureFinished(baselineOutcome, comparison.Baseline);
            candidateOutcome = await ExecuteRunAsync(null, Target(config, comparison.Candidate, "candidate"), comparison.Suites, request.Limit, request.Shard, cancellationToken);
            EnsureFinished(candidateOutcome, comparison.Candidate);

            baselineRunId = baselineOutcome.RunId;
            candidateRunId = candidateOutcome.RunId;
        }

        // After the runs, which build a local model file that is missing; its vocabulary counts the workloads.
        var workloadCosts = await WorkloadCostsAsync(comparison, cancellationToken);
        var baselineRun = await LoadRunAsync(baselineRunId, cancellationToken);
        var candidateRun = await LoadRunAsync(candidateRunId, cancellationToken);
        var id = NewId("cmp", comparison.Name);
        var result = ComparisonAnalyzer.Analyze(id, comparison.Name, config.ConfigHash, ToolVersion, baselineRun, candidateRun, comparison.Gates, new AnalysisOptions());
        var incomplete = new List<IncompleteRun>();
        foreach (var (run, samples) in new[] { baselineRun, candidateRun })
        {
            if (ShardCompleteness.Check(run, await store.GetShardsAsync(run.Id, cancellationToken), samples) is { } missing)
            {
                incomplete.Add(missing);
            }
        }

        result = ShardCompleteness.Apply(result, incomplete) with
        {
            Errors = result.Errors with
            {
                BaselineReliability = await store.GetRunReliabilityAsync(baselineRunId, cancellationToken),
                CandidateReliability = await store.GetRunReliabilityAsync(candidateRunId, cancellationToken),
            },
            WorkloadCosts = workloadCosts,
        };
        var document = JsonSerializer.Serialize(result, ReportJson.Options);
        await store.SaveComparisonAsync(
            new ComparisonRecord(id, result.CreatedUtc, baselineRunId, candidateRunId, result.Verdict.ToString(), document),
            cancellationToken);

        // The reports are written from the stored document, as `basedeval report` writes them later: JSON holds no
        // infinity (a ratio over a zero baseline is stored as null), and both must read the same.
        var stored = JsonSerializer.Deserialize<ComparisonResult>(document, ReportJson.Options)!;
        var files = await ReportSet.WriteAllAsync(new ReportInput(stored, [.. baselineRun.Item2, .. candidateRun.Item2]), config.ReportsDirectory, ReportSet.Default, cancellationToken);
        return new CompareOutcome(result, files, baselineOutcome, candidateOutcome);
    }

    /// <summary>
    /// Every workload of evals.yaml in the baseline's and the candidate's own tokens; the workloads' files were checked
    /// when evals.yaml was loaded.
    /// </summary>
    private async Task<IReadOnlyList<WorkloadTokenCosts>> WorkloadCostsAsync(ComparisonConfig comparison, CancellationToken cancellationToken)
    {
        var sides = new[] { Target(config, comparison.Baseline, "baseline"), Target(config, comparison.Candidate, "candidate") };
        var costs = new List<WorkloadTokenCosts>();
        foreach (var workload in config.Workloads?.Values ?? [])
        {
            var projections = await TokenCostProjection.ForTargetsAsync(workload, sides, cancellationToken);
            costs.Add(new WorkloadTokenCosts(workload.Name, projections[0], projections[1]));
        }

        return costs;
    }

    /// <summary>
    /// The comparison resolved as <see cref="CompareAsync"/> resolves it, with the run id that <paramref name="shardCount"/>
    /// shards of each target derive (<see cref="RunPlan.DerivedRunId"/>), sending nothing and opening no store: what a
    /// scheduler's scripts need to run the shards and then compare the two runs by id.
    /// </summary>
    public static ShardedComparison PlanShards(EvalConfig config, CompareRequest request, int shardCount, IRunObserver observer)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (shardCount < 1)
        {
            throw new ConfigException($"a run cannot be split into {shardCount} shards", "give a shard count of 1 or more");
        }

        var comparison = ResolveComparison(config, request);
        var suites = PlanSuites(config, observer, comparison.Suites, request.Limit);
        string RunId(string target, string role) =>
            (Planner.Build(string.Empty, Target(config, target, role), suites, config.Seed) with { Shard = new ShardSpec(0, shardCount) }).DerivedRunId();

        return new ShardedComparison(comparison.Name, comparison.Baseline, comparison.Candidate, comparison.Suites, shardCount, RunId(comparison.Baseline, "baseline"), RunId(comparison.Candidate, "candidate"));
    }

    private static void EnsureFinished(RunOutcome outcome, string targetName)
    {
        switch (outcome.Status)
        {
            case RunStatus.Stopped:
                throw new RunStoppedException(outcome.RunId, targetName, outcome.StopReason ?? "a protection stopped the run");
            case RunStatus.Interrupted:
                throw new RunInterruptedException(outcome.RunId, targetName);
        }
    }

    /// <summary>Reads only the config and the suites' files, never the store: schedulers plan shards with it too.</summary>
    private static ComparisonConfig ResolveComparison(EvalConfig config, CompareRequest request)
    {
        if (request.Baseline is not null || request.Candidate is not null)
        {
            if (request.Baseline is null || request.Candidate is null)
            {
                throw new ConfigException("--baseline and --candidate go together", "give both, or neither to use a comparison from evals.yaml");
            }

            var template = request.ComparisonName is not null ? Comparison(config, request.ComparisonName)
                : config.Comparisons.Values.FirstOrDefault();
            Target(config, request.Baseline, "--baseline");
            Target(config, request.Candidate, "--candidate");
            return new ComparisonConfig(
                template?.Name ?? $"{request.Baseline}-vs-{request.Candidate}",
                request.Baseline,
                request.Candidate,
                template?.Suites ?? config.Suites.Keys.ToList(),
                template?.Gates ?? GatesConfig.Default,
                template?.Location ?? new SourceLocation(config.SourcePath, 0, 0));
        }

        if (request.ComparisonName is not null)
        {
            return Comparison(config, request.ComparisonName);
        }

        return config.Comparisons.Count switch
        {
            1 => config.Comparisons.Values.First(),
            0 => throw new ConfigException($"{config.SourcePath} defines no comparison", "add one under `comparisons:`, or pass --baseline and --candidate"),
            _ => throw new ConfigException($"{config.SourcePath} defines {config.Comparisons.Count} comparisons and none was chosen", $"pass --comparison with one of: {string.Join(", ", config.Comparisons.Keys)}"),
        };
    }

    private static ComparisonConfig Comparison(EvalConfig config, string name) =>
        config.Comparisons.TryGetValue(name, out var comparison)
            ? comparison
            : throw new ConfigException($"there is no comparison `{name}` in {config.SourcePath}", $"use one of: {string.Join(", ", config.Comparisons.Keys)}");

    private static TargetConfig Target(EvalConfig config, string name, string role) =>
        config.Targets.TryGetValue(name, out var target)
            ? target
            : throw new ConfigException(
                $"{role} names target `{name}`, which {config.SourcePath} does not define",
                YamlSuggestion(name, config.Targets.Keys) is { } near ? $"did you mean `{near}`? targets: {string.Join(", ", config.Targets.Keys)}" : $"use one of: {string.Join(", ", config.Targets.Keys)}, or define it under `targets:`");

    private static string? YamlSuggestion(string name, IEnumerable<string> options) => YamlNodes.Nearest(name, options.ToList());

    private Task<RunOutcome> ExecuteRunAsync(string? runId, TargetConfig targetConfig, IReadOnlyList<string> suiteNames, int? limit, ShardSpec? shard, CancellationToken cancellationToken) =>
        RunPlannedAsync(runId, targetConfig, PlanSuites(config, observer, suiteNames, limit), cancellationToken, shard);

    /// <summary>
    /// What a run of the target over the suites would send and about what it would cost, sending nothing: the planned
    /// samples less those the store already answers for this endpoint. The cache is looked up for remote targets only,
    /// since a local target's identity is its model file's hash, which means reading the whole file.
    /// </summary>
    public async Task<RunEstimate> EstimateAsync(string targetName, IReadOnlyList<string> suiteNames, int? limit, CancellationToken cancellationToken)
    {
        var targetConfig = Target(config, targetName, "--target");
        var plan = Planner.Build(string.Empty, targetConfig, PlanSuites(config, observer, suiteNames, limit), config.Seed);
        var cached = new HashSet<string>(StringComparer.Ordinal);
        if (targetConfig.Provider != ProviderKind.LlamaCpp && !BypassCache)
        {
            await using var target = targets.Create(targetConfig);
            var found = await store.FindSucceededAsync(target.Identity.Key, plan.Samples.Select(p => p.RequestHash).ToHashSet(StringComparer.Ordinal), cancellationToken);
            cached.UnionWith(found.Keys);
        }

        var toSend = plan.Samples.Where(p => !cached.Contains(p.RequestHash)).ToList();
        // A free target costs nothing whatever the count, and a local one's model file may not be built yet.
        ITokenCounter? tokens = targetConfig.Prices == Prices.Free ? null : TokenCounters.For(targetConfig);
        var usd = tokens is null ? 0 : toSend.Sum(p => targetConfig.Prices.CostUsd(
            tokens.CountMessages(p.Request.Messages),
            0,
            p.Request.Sampling.MaxTokens ?? RunEstimate.AssumedOutputTokens));
        return new RunEstimate(targetConfig.Name, plan.Samples.Count, plan.Samples.Count - toSend.Count, usd, CacheChecked: targetConfig.Provider != ProviderKind.LlamaCpp);
    }

    private static List<PlannedSuite> PlanSuites(EvalConfig config, IRunObserver observer, IReadOnlyList<string> suiteNames, int? limit)
    {
        var suites = new List<PlannedSuite>();
        foreach (var name in suiteNames)
        {
            if (!config.Suites.TryGetValue(name, out var suiteConfig))
            {
                throw new ConfigException($"suite `{name}` is not defined in {config.SourcePath}", $"use one of: {string.Join(", ", config.Suites.Keys)}");
            }

            var suite = SuiteFactory.Create(suiteConfig);
            if (suite.UnavailableReason is { } reason)
            {
                // A suite this machine cannot run (no Python for code execution) is skipped and said so, never scored 0.
                observer.SuiteSkipped(name, reason);
                continue;
            }

            var items = Planner.Select(SuiteFactory.Load(suite), config.Seed + suiteConfig.Seed, limit ?? suiteConfig.Limit);
            suites.Add(new PlannedSuite(name, suite.Scorer, items, suiteConfig.Prompt == SuiteFactory.LogLikelihoodPrompt, suiteConfig.Epochs));
        }

        return suites;
    }

    private async Task<RunOutcome> RunPlannedAsync(string? runId, TargetConfig targetConfig, IReadOnlyList<PlannedSuite> suites, CancellationToken cancellationToken, ShardSpec? shard = null)
    {
        var plan = Planner.Build(runId ?? string.Empty, targetConfig, suites, config.Seed) with { Shard = shard, BypassCache = BypassCache };
        plan = plan with { RunId = runId ?? (shard is null ? NewId("run", targetConfig.Name) : plan.DerivedRunId()) };
        await using var target = targets.Create(targetConfig);
        if (suites.FirstOrDefault(s => s.RankChoices) is { } ranked && !target.CanRankContinuations)
        {
            var suite = config.Suites[ranked.Name];
            throw new ConfigException(suite.Location.File, suite.Location.Line, suite.Location.Column,
                $"suite `{suite.Name}` ranks answers by log-likelihood, which target `{targetConfig.Name}` ({targetConfig.Provider}) cannot compute",
                "run it on a llamacpp target, or use `prompt: harness` (generated answer) or `prompt: zero_shot_cot` for remote targets");
        }

        // After the target is made, since making a local one may first build its model file, whose vocabulary counts here.
        ContextWindowCheck.Require(targetConfig, plan.Mine);

        var run = new RunRecord(
            plan.RunId,
            DateTimeOffset.UtcNow,
            null,
            RunStatus.Running,
            targetConfig.Name,
            target.Identity.Key,
            target.Identity.Provider,
            target.Identity.Model,
            target.Identity.Endpoint,
            plan.Suites,
            config.ConfigHash,
            ToolVersion,
            GitCommit(Path.GetDirectoryName(Path.GetFullPath(config.SourcePath))!),
            targetConfig.Prices,
            config.Seed,
            plan.Samples.Count);
        return await new Runner(store, observer).RunAsync(plan, target, run, cancellationToken);
    }

    private async Task<(RunRecord, IReadOnlyList<Sample>)> LoadRunAsync(string runId, CancellationToken cancellationToken)
    {
        var run = await store.GetRunAsync(runId, cancellationToken)
            ?? throw new ConfigException($"there is no run `{runId}` in the store {config.StorePath}", "list runs with `basedeval runs`");
        return (run, await store.GetSamplesAsync(runId, cancellationToken));
    }

    private static string NewId(string kind, string name) => RunIds.New(kind, name);

    /// <summary>The commit the config's repository is at, read from .git without running git; null outside a repository.</summary>
    public static string? GitCommit(string startDirectory)
    {
        for (var dir = new DirectoryInfo(startDirectory); dir is not null; dir = dir.Parent)
        {
            var gitDir = Path.Combine(dir.FullName, ".git");
            if (File.Exists(gitDir))
            {
                // A worktree: .git is a file pointing at the real git directory.
                var pointer = File.ReadAllText(gitDir).Trim();
                gitDir = pointer.StartsWith("gitdir:", StringComparison.Ordinal) ? Path.GetFullPath(Path.Combine(dir.FullName, pointer[7..].Trim())) : gitDir;
            }

            var head = Path.Combine(gitDir, "HEAD");
            if (!File.Exists(head))
            {
                continue;
            }

            var content = File.ReadAllText(head).Trim();
            if (!content.StartsWith("ref:", StringComparison.Ordinal))
            {
                return content;
            }

            var reference = content[4..].Trim();
            foreach (var root in new[] { gitDir, CommonDir(gitDir) })
            {
                var refFile = Path.Combine(root, reference);
                if (File.Exists(refFile))
                {
                    return File.ReadAllText(refFile).Trim();
                }

                var packed = Path.Combine(root, "packed-refs");
                if (File.Exists(packed))
                {
                    var line = File.ReadLines(packed).FirstOrDefault(l => l.EndsWith(" " + reference, StringComparison.Ordinal));
                    if (line is not null)
                    {
                        return line.Split(' ')[0];
                    }
                }
            }

            return null;
        }

        return null;
    }

    private static string CommonDir(string gitDir)
    {
        var file = Path.Combine(gitDir, "commondir");
        return File.Exists(file) ? Path.GetFullPath(Path.Combine(gitDir, File.ReadAllText(file).Trim())) : gitDir;
    }
}
