using System.Diagnostics;
using System.Globalization;
using System.Text;
using BasedEval.Core.Scoring.Execution;

namespace BasedEval.Core.SweBench;

/// <summary>
/// What every back-end does the same way, so that their verdicts can be compared: a throwaway clone of the local repository
/// checked out at base_commit on this machine; the tests once with the test patch alone (the pre-check); then the model patch
/// applied by <c>git apply</c>, then <c>git apply --3way</c>, then <c>patch --fuzz</c>, the test patch, and pytest on the Python
/// files the test patch touches (whole files, because SWE-bench ids are cut at the first space and an unknown id makes pytest
/// run nothing); the log read as the harness reads it and the verdict. Where the tests run is the subclass's.
/// </summary>
/// <typeparam name="TEnvironment">What the subclass prepares once per evaluation for its test runs.</typeparam>
public abstract class SweBenchCheckoutExecutor<TEnvironment> : ISweBenchExecutor
    where TEnvironment : class
{
    private readonly string _repositories;
    private readonly bool _preCheck;

    private protected SweBenchCheckoutExecutor(string repositories, TimeSpan? testTimeout, bool preCheck, SweBenchCommands commands)
    {
        ArgumentNullException.ThrowIfNull(repositories);
        _repositories = repositories;
        _preCheck = preCheck;
        TestTimeout = testTimeout ?? TimeSpan.FromMinutes(10);
        Commands = commands;
    }

    private protected SweBenchCommands Commands { get; }

    private protected TimeSpan TestTimeout { get; }

    public async Task<SweBenchEvaluation> EvaluateAsync(SweBenchInstance instance, string modelPatch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(modelPatch);
        var stopwatch = Stopwatch.StartNew();
        var scratch = Path.Combine(Path.GetTempPath(), "basedeval-swebench-" + Guid.NewGuid().ToString("N"));
        var log = new StringBuilder();
        Directory.CreateDirectory(scratch);
        try
        {
            var outcome = await EvaluateInAsync(new SweBenchScratch(instance, scratch, log), modelPatch, cancellationToken);
            return outcome with { Log = log.ToString(), Elapsed = stopwatch.Elapsed };
        }
        finally
        {
            TryDelete(scratch);
        }
    }

    /// <summary>What the instance's test runs need (a virtual environment, an image); null and why when it cannot be made.</summary>
    private protected abstract Task<(TEnvironment? Environment, string? Error)> PrepareAsync(SweBenchScratch at, CancellationToken cancellationToken);

    /// <summary>
    /// Installs the patched checkout where the recipe asks for it and runs <c>pytest -rA</c> on <paramref name="testFiles"/>
    /// within <see cref="TestTimeout"/>, appending what it ran and printed to the log; the run, or why the install failed.
    /// </summary>
    private protected abstract Task<(ChildProcessResult? Run, string? Error)> TestAsync(
        SweBenchScratch at, TEnvironment environment, IReadOnlyList<string> testFiles, bool modelPatch, CancellationToken cancellationToken);

    /// <summary>The log's heading of a test run, the same in every back-end.</summary>
    private protected static string TestHeading(bool modelPatch) => modelPatch ? "$ pytest after the model patch\n" : "$ pytest with the test patch alone (pre-check)\n";

    private async Task<SweBenchEvaluation> EvaluateInAsync(SweBenchScratch at, string modelPatch, CancellationToken cancellationToken)
    {
        var instance = at.Instance;
        var source = GitSnapshot.Locate(_repositories, instance.Repo);
        if (source is null)
        {
            return at.Result(SweBenchOutcome.Error, $"no local repository for {instance.Repo} in {_repositories} (expected a folder {instance.Repo.Replace("/", "__", StringComparison.Ordinal)})");
        }

        if (await Commands.StepAsync(at.Folder, "git", ["clone", "--quiet", "--no-checkout", source, at.Work], at.Log, cancellationToken) is not null
            || await Commands.StepAsync(at.Work, "git", ["checkout", "--quiet", "--detach", instance.BaseCommit], at.Log, cancellationToken) is not null)
        {
            return at.Result(SweBenchOutcome.Error, $"cannot check out {instance.BaseCommit} of {source}: {SweBenchCommands.LastLine(at.Log.ToString())}");
        }

        string[] testFiles;
        try
        {
            // Only Python files: a test patch also adds data files (a TOML, a JSON), and pytest refuses a file it cannot collect.
            testFiles = [.. UnifiedDiff.Parse(instance.TestPatch).Files.Select(f => f.Path).OfType<string>().Where(p => p.EndsWith(".py", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal)];
        }
        catch (PatchFormatException e)
        {
            return at.Result(SweBenchOutcome.Error, $"the test patch cannot be read: {e.Message}");
        }

        await File.WriteAllTextAsync(at.ModelDiff, modelPatch, cancellationToken);
        await File.WriteAllTextAsync(at.TestDiff, instance.TestPatch, cancellationToken);
        var (environment, environmentError) = await PrepareAsync(at, cancellationToken);
        if (environment is null)
        {
            return at.Result(SweBenchOutcome.Error, environmentError!);
        }

        IReadOnlyList<string>? before = null;
        if (_preCheck)
        {
            if (await PatchAndTestAsync(at, environment, testFiles, modelPatch: false, cancellationToken) is { Tests: { } beforeTests })
            {
                before = [.. instance.FailToPass.Where(t => PytestLog.Passes(beforeTests, t))];
            }

            // Back to base_commit; the pre-check's install, in the checkout, goes with it and is made again below.
            await Commands.StepAsync(at.Work, "git", ["reset", "--hard", "--quiet"], at.Log, cancellationToken);
            await Commands.StepAsync(at.Work, "git", ["clean", "-fdxq"], at.Log, cancellationToken);
        }

        var after = await PatchAndTestAsync(at, environment, testFiles, modelPatch: true, cancellationToken);
        return (after.Tests is { Count: > 0 } tests ? Judge(at, tests, after.Messages!) : at.Result(after.Outcome, after.Reason)) with { FailToPassBefore = before };
    }

    /// <summary>Applies the model patch (or not), then the test patch, and has the subclass install and run the test files.</summary>
    private async Task<TestRun> PatchAndTestAsync(SweBenchScratch at, TEnvironment environment, string[] testFiles, bool modelPatch, CancellationToken cancellationToken)
    {
        // An empty prediction changes nothing; running it anyway shows instances whose FAIL_TO_PASS already pass.
        if (modelPatch && (await File.ReadAllTextAsync(at.ModelDiff, cancellationToken)).Trim().Length > 0 && !await ApplyModelPatchAsync(at, cancellationToken))
        {
            return new TestRun(SweBenchOutcome.PatchFailed, "the model patch does not apply (git apply, git apply --3way and patch --fuzz all refused it)");
        }

        if (await Commands.StepAsync(at.Work, "git", ["apply", "--whitespace=nowarn", at.TestDiff], at.Log, cancellationToken) is { } testPatchError)
        {
            return new TestRun(SweBenchOutcome.Error, $"the test patch does not apply{(modelPatch ? " after the model patch" : string.Empty)}: {testPatchError}");
        }

        string[] present = [.. testFiles.Where(p => File.Exists(Path.Combine(at.Work, p)))];
        if (present.Length == 0)
        {
            return new TestRun(SweBenchOutcome.Error, "the test patch touches no Python file that exists after it is applied");
        }

        // Installed (by the subclass) after both patches: the three-way fallback resets and cleans the checkout, which would
        // remove the install's metadata.
        var (run, installError) = await TestAsync(at, environment, present, modelPatch, cancellationToken);
        if (run is null)
        {
            return new TestRun(SweBenchOutcome.Error, installError!);
        }

        if (run.TimedOut)
        {
            return new TestRun(SweBenchOutcome.Error, $"the tests did not finish within {TestTimeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s");
        }

        if (run.OutputExceeded)
        {
            return new TestRun(SweBenchOutcome.Error, $"the test log exceeded {Commands.OutputBytes} bytes");
        }

        // A run that ended without outcomes (pytest's internal error, say) still tells the pre-check that nothing passed.
        var tests = PytestLog.Parse(run.Output);
        return tests.Count == 0
            ? new TestRun(SweBenchOutcome.Error, $"pytest reported no test outcome (exit status {run.ExitCode}): {SweBenchCommands.LastLine(run.Output)}", tests)
            : new TestRun(SweBenchOutcome.Unresolved, string.Empty, tests, PytestLog.Messages(run.Output));
    }

    /// <summary>Resolved when every listed test passes; an environment error when the only ones that do not cannot pass here.</summary>
    private static SweBenchEvaluation Judge(SweBenchScratch at, IReadOnlyDictionary<string, TestStatus> tests, IReadOnlyDictionary<string, string> messages)
    {
        var instance = at.Instance;
        var failing = instance.FailToPass.Concat(instance.PassToPass).Where(t => !PytestLog.Passes(tests, t)).ToList();
        if (failing.Count == 0)
        {
            return at.Result(SweBenchOutcome.Resolved, $"all {instance.FailToPass.Count} FAIL_TO_PASS and {instance.PassToPass.Count} PASS_TO_PASS tests pass", tests);
        }

        var limited = failing.Select(t => (Test: t, Why: EnvironmentLimits.Why(t, tests.ContainsKey(t) ? messages.GetValueOrDefault(t, string.Empty) : null))).Where(l => l.Why is not null).ToList();
        if (limited.Count == failing.Count)
        {
            return at.Result(SweBenchOutcome.Error, $"environment-limited: {limited.Count} listed test(s) cannot pass here: {string.Join("; ", limited.Take(3).Select(l => $"{l.Test}: {l.Why}"))}{(limited.Count > 3 ? "; …" : string.Empty)}", tests);
        }

        var shown = string.Join(", ", failing.Take(5).Select(t => tests.TryGetValue(t, out var s) ? $"{t} {s.ToString().ToUpperInvariant()}" : $"{t} missing"));
        return at.Result(SweBenchOutcome.Unresolved, $"{failing.Count} listed test(s) do not pass: {shown}{(failing.Count > 5 ? ", …" : string.Empty)}", tests);
    }

    private async Task<bool> ApplyModelPatchAsync(SweBenchScratch at, CancellationToken cancellationToken)
    {
        if (await Commands.StepAsync(at.Work, "git", ["apply", "--whitespace=nowarn", at.ModelDiff], at.Log, cancellationToken) is null)
        {
            return true;
        }

        // git apply --3way exits non-zero when a merge leaves conflicts.
        if (await Commands.StepAsync(at.Work, "git", ["apply", "--3way", "--whitespace=nowarn", at.ModelDiff], at.Log, cancellationToken) is null)
        {
            return true;
        }

        // A failed three-way merge leaves conflict markers and a half-applied index behind; patch must start from base_commit.
        await Commands.StepAsync(at.Work, "git", ["reset", "--hard", "--quiet"], at.Log, cancellationToken);
        await Commands.StepAsync(at.Work, "git", ["clean", "-fdq"], at.Log, cancellationToken);
        return await Commands.StepAsync(at.Work, "patch", ["-p1", "--batch", "--forward", "--fuzz=3", "--no-backup-if-mismatch", "-i", at.ModelDiff], at.Log, cancellationToken) is null;
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary folder is harmless; failing the evaluation over it would not be.
        }
    }

    /// <summary>
    /// A test run: <see cref="Tests"/> holds the outcomes when pytest ran to its end (none when it reported none), and is null
    /// when a patch, the install or a limit stopped it; <see cref="Outcome"/> and <see cref="Reason"/> say why when there are none.
    /// </summary>
    private sealed record TestRun(SweBenchOutcome Outcome, string Reason, IReadOnlyDictionary<string, TestStatus>? Tests = null, IReadOnlyDictionary<string, string>? Messages = null);
}

/// <summary>One evaluation's folder: the checkout, the two patches as files, and the log every step appends to.</summary>
internal sealed record SweBenchScratch(SweBenchInstance Instance, string Folder, StringBuilder Log)
{
    public string Work => Path.Combine(Folder, "repo");

    public string ModelDiff => Path.Combine(Folder, "model.diff");

    public string TestDiff => Path.Combine(Folder, "test.diff");

    public SweBenchEvaluation Result(SweBenchOutcome outcome, string reason, IReadOnlyDictionary<string, TestStatus>? tests = null) =>
        new(Instance.InstanceId, outcome, reason, tests ?? new Dictionary<string, TestStatus>(), string.Empty, TimeSpan.Zero);
}
