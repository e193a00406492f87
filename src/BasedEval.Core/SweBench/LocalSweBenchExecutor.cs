using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace BasedEval.Core.SweBench;

/// <summary>Where the repository's code is imported from when its tests run.</summary>
public enum SweBenchEnvironment
{
    /// <summary>The interpreter as it is: the checkout is importable from the working folder, its dependencies must already be installed.</summary>
    Interpreter,

    /// <summary>
    /// A throwaway virtual environment per evaluation, built by the repository's <see cref="SweBenchRecipe"/>, that sees the
    /// interpreter's packages and holds the patched checkout as an editable install, offline; for repositories whose tests
    /// import the package as installed (entry points, metadata) or need an older Python, shims or the httpbin stand-in.
    /// </summary>
    Venv,
}

/// <summary>Settings of the local runner.</summary>
/// <param name="Repositories">
/// Folder of local git repositories, one per SWE-bench repo, named <c>owner__name</c> (the instance-id prefix) or
/// <c>owner/name</c>.
/// </param>
/// <param name="Python">The interpreter that runs pytest; Debian's by default, because a version manager's python3 on PATH carries other packages.</param>
/// <param name="TestTimeout">Wall-clock limit of the test run.</param>
/// <param name="GitTimeout">Wall-clock limit of each git or patch step.</param>
/// <param name="OutputBytes">Largest test log kept; more kills the run.</param>
/// <param name="Isolate">False never uses namespaces; null uses a private network namespace where unprivileged ones work.</param>
/// <param name="Environment">Whether tests run on <paramref name="Python"/> directly or in a virtual environment built from it.</param>
/// <param name="OlderPython">
/// The Python 3.9 that recipes of old repositories ask for; null looks for pyenv's 3.9.18 in the home folder.
/// </param>
/// <param name="PreCheck">Also runs the tests with the test patch alone, to find FAIL_TO_PASS tests that pass without any fix.</param>
public sealed record LocalSweBenchOptions(
    string Repositories,
    string Python,
    TimeSpan? TestTimeout = null,
    TimeSpan? GitTimeout = null,
    int OutputBytes = 8 << 20,
    bool? Isolate = null,
    SweBenchEnvironment Environment = SweBenchEnvironment.Interpreter,
    string? OlderPython = null,
    bool PreCheck = true)
{
    /// <summary>The interpreter used where none is named: <c>BASEDEVAL_PYTHON</c>, else Debian's <c>/usr/bin/python3</c>.</summary>
    public static string DefaultPython => System.Environment.GetEnvironmentVariable("BASEDEVAL_PYTHON") is { Length: > 0 } chosen ? chosen : "/usr/bin/python3";

    public string OlderPythonPath => OlderPython
        ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".pyenv", "versions", "3.9.18", "bin", "python3.9");
}

/// <summary>
/// Runs an instance on this machine, no Docker: a throwaway clone of the local repository checked out at base_commit; the
/// tests once with the test patch alone (the pre-check); then the model patch applied by <c>git apply</c>, then
/// <c>git apply --3way</c>, then <c>patch --fuzz</c>, the test patch, and <c>python -m pytest -rA</c> on the Python files the
/// test patch touches (whole files, because SWE-bench ids are cut at the first space and an unknown id makes pytest run
/// nothing), in a private network namespace where the kernel allows one.
/// </summary>
public sealed class LocalSweBenchExecutor : ISweBenchExecutor
{
    private readonly LocalSweBenchOptions _options;
    private readonly SweBenchCommands _commands;

    public LocalSweBenchExecutor(LocalSweBenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _commands = new SweBenchCommands(options);
    }

    /// <summary>Set when tests run with the machine's network, because no private namespace could be made here.</summary>
    public string? IsolationWarning => _commands.Unshare is null
        ? _options.Isolate == false ? "network isolation is switched off" : "unshare could not create a private network namespace here; tests run with the machine's network"
        : null;

    /// <summary>Why pytest cannot run with the configured interpreter, or null when it can.</summary>
    public async Task<string?> UnavailableReasonAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(_options.Python))
        {
            return $"{_options.Python} does not exist (Debian: apt-get install python3 python3-pytest)";
        }

        // The temp folder, not the current directory: a caller's working folder may be gone, and Python fails to start there.
        var run = await _commands.RunAsync(Path.GetTempPath(), _options.Python, ["-m", "pytest", "--version"], TimeSpan.FromSeconds(60), cancellationToken);
        return run.ExitCode == 0 ? null : $"{_options.Python} -m pytest does not run ({SweBenchCommands.LastLine(run.Output)}); Debian: apt-get install python3-pytest";
    }

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
            var outcome = await EvaluateInAsync(new Scratch(instance, scratch, log), modelPatch, cancellationToken);
            return outcome with { Log = log.ToString(), Elapsed = stopwatch.Elapsed };
        }
        finally
        {
            TryDelete(scratch);
        }
    }

    private async Task<SweBenchEvaluation> EvaluateInAsync(Scratch at, string modelPatch, CancellationToken cancellationToken)
    {
        var instance = at.Instance;
        var source = GitSnapshot.Locate(_options.Repositories, instance.Repo);
        if (source is null)
        {
            return at.Result(SweBenchOutcome.Error, $"no local repository for {instance.Repo} in {_options.Repositories} (expected a folder {instance.Repo.Replace("/", "__", StringComparison.Ordinal)})");
        }

        if (await _commands.StepAsync(at.Folder, "git", ["clone", "--quiet", "--no-checkout", source, at.Work], at.Log, cancellationToken) is not null
            || await _commands.StepAsync(at.Work, "git", ["checkout", "--quiet", "--detach", instance.BaseCommit], at.Log, cancellationToken) is not null)
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
        if (_options.PreCheck)
        {
            if (await PatchAndTestAsync(at, environment, testFiles, modelPatch: false, cancellationToken) is { Tests: { } beforeTests })
            {
                before = [.. instance.FailToPass.Where(t => PytestLog.Passes(beforeTests, t))];
            }

            // Back to base_commit; the pre-check's install, in the checkout, goes with it and is made again below.
            await _commands.StepAsync(at.Work, "git", ["reset", "--hard", "--quiet"], at.Log, cancellationToken);
            await _commands.StepAsync(at.Work, "git", ["clean", "-fdxq"], at.Log, cancellationToken);
        }

        var after = await PatchAndTestAsync(at, environment, testFiles, modelPatch: true, cancellationToken);
        return (after.Tests is { Count: > 0 } tests ? Judge(at, tests, after.Messages!) : at.Result(after.Outcome, after.Reason)) with { FailToPassBefore = before };
    }

    /// <summary>The recipe's virtual environment and stand-in, or the interpreter as it is; null and why when they cannot be made.</summary>
    private async Task<(TestEnvironment? Environment, string? Error)> PrepareAsync(Scratch at, CancellationToken cancellationToken)
    {
        if (_options.Environment == SweBenchEnvironment.Interpreter)
        {
            return (new TestEnvironment(_options.Python, Venv: false, null), null);
        }

        var recipe = SweBenchRecipe.For(at.Instance.Repo, at.Instance.Version);
        var interpreter = recipe.OlderPython ? _options.OlderPythonPath : _options.Python;
        if (!File.Exists(interpreter))
        {
            return (null, $"{at.Instance.Repo} {at.Instance.Version} needs Python 3.9, and {interpreter} does not exist (pyenv install 3.9.18, or pass the older Python)");
        }

        HttpbinStandIn? standIn = null;
        if (recipe.Httpbin)
        {
            // Without a private namespace the stand-in cannot take httpbin.org's name, and the tests would reach the real one.
            if (_commands.Unshare is null)
            {
                return (null, $"{at.Instance.Repo} tests need the loopback httpbin stand-in, which needs a private network namespace (unshare) that cannot be made here");
            }

            if (await HttpbinStandIn.UnavailableReasonAsync(_options.Python, cancellationToken) is { } unavailable)
            {
                return (null, unavailable);
            }

            standIn = await HttpbinStandIn.CreateAsync(Path.Combine(at.Folder, "standin"), _options.Python, cancellationToken);
        }

        var (python, error) = await SweBenchVenv.CreateAsync(_commands, interpreter, recipe, standIn, Path.Combine(at.Folder, "venv"), at.Log, cancellationToken);
        return error is null ? (new TestEnvironment(python, Venv: true, standIn), null) : (null, error);
    }

    /// <summary>Applies the model patch (or not), then the test patch, installs, and runs the test files.</summary>
    private async Task<TestRun> PatchAndTestAsync(Scratch at, TestEnvironment environment, string[] testFiles, bool modelPatch, CancellationToken cancellationToken)
    {
        // An empty prediction changes nothing; running it anyway shows instances whose FAIL_TO_PASS already pass.
        if (modelPatch && (await File.ReadAllTextAsync(at.ModelDiff, cancellationToken)).Trim().Length > 0 && !await ApplyModelPatchAsync(at, cancellationToken))
        {
            return new TestRun(SweBenchOutcome.PatchFailed, "the model patch does not apply (git apply, git apply --3way and patch --fuzz all refused it)");
        }

        if (await _commands.StepAsync(at.Work, "git", ["apply", "--whitespace=nowarn", at.TestDiff], at.Log, cancellationToken) is { } testPatchError)
        {
            return new TestRun(SweBenchOutcome.Error, $"the test patch does not apply{(modelPatch ? " after the model patch" : string.Empty)}: {testPatchError}");
        }

        string[] present = [.. testFiles.Where(p => File.Exists(Path.Combine(at.Work, p)))];
        if (present.Length == 0)
        {
            return new TestRun(SweBenchOutcome.Error, "the test patch touches no Python file that exists after it is applied");
        }

        // Installed after both patches: the three-way fallback resets and cleans the checkout, which would remove the install's metadata.
        if (environment.Venv && await SweBenchVenv.InstallAsync(_commands, environment.Python, at.Work, at.Log, cancellationToken) is { } installError)
        {
            return new TestRun(SweBenchOutcome.Error, installError);
        }

        var timeout = _options.TestTimeout ?? TimeSpan.FromMinutes(10);
        at.Log.Append(modelPatch ? "$ pytest after the model patch\n" : "$ pytest with the test patch alone (pre-check)\n");
        var run = await _commands.RunAsync(at.Work, environment.Python, ["-m", "pytest", "-rA", "-p", "no:cacheprovider", .. present], timeout, cancellationToken, isolated: true, environment.StandIn);
        at.Log.Append(run.Output);
        if (run.TimedOut)
        {
            return new TestRun(SweBenchOutcome.Error, $"the tests did not finish within {timeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s");
        }

        if (run.OutputExceeded)
        {
            return new TestRun(SweBenchOutcome.Error, $"the test log exceeded {_options.OutputBytes} bytes");
        }

        // A run that ended without outcomes (pytest's internal error, say) still tells the pre-check that nothing passed.
        var tests = PytestLog.Parse(run.Output);
        return tests.Count == 0
            ? new TestRun(SweBenchOutcome.Error, $"pytest reported no test outcome (exit status {run.ExitCode}): {SweBenchCommands.LastLine(run.Output)}", tests)
            : new TestRun(SweBenchOutcome.Unresolved, string.Empty, tests, PytestLog.Messages(run.Output));
    }

    /// <summary>Resolved when every listed test passes; an environment error when the only ones that do not cannot pass here.</summary>
    private static SweBenchEvaluation Judge(Scratch at, IReadOnlyDictionary<string, TestStatus> tests, IReadOnlyDictionary<string, string> messages)
    {
        var instance = at.Instance;
        var failing = instance.FailToPass.Concat(instance.PassToPass).Where(t => !PytestLog.Passes(tests, t)).ToList();
        if (failing.Count == 0)
        {
            return at.Result(SweBenchOutcome.Resolved, $"all {instance.FailToPass.Count} FAIL_TO_PASS and {instance.PassToPass.Count} PASS_TO_PASS tests pass", tests);
        }

        var limited = failing.Select(t => (Test: t, Why: EnvironmentLimits.Why(instance.Repo, t, tests.ContainsKey(t) ? messages.GetValueOrDefault(t, string.Empty) : null))).Where(l => l.Why is not null).ToList();
        if (limited.Count == failing.Count)
        {
            return at.Result(SweBenchOutcome.Error, $"environment-limited: {limited.Count} listed test(s) cannot pass here: {string.Join("; ", limited.Take(3).Select(l => $"{l.Test}: {l.Why}"))}{(limited.Count > 3 ? "; …" : string.Empty)}", tests);
        }

        var shown = string.Join(", ", failing.Take(5).Select(t => tests.TryGetValue(t, out var s) ? $"{t} {s.ToString().ToUpperInvariant()}" : $"{t} missing"));
        return at.Result(SweBenchOutcome.Unresolved, $"{failing.Count} listed test(s) do not pass: {shown}{(failing.Count > 5 ? ", …" : string.Empty)}", tests);
    }

    private async Task<bool> ApplyModelPatchAsync(Scratch at, CancellationToken cancellationToken)
    {
        if (await _commands.StepAsync(at.Work, "git", ["apply", "--whitespace=nowarn", at.ModelDiff], at.Log, cancellationToken) is null)
        {
            return true;
        }

        // git apply --3way exits non-zero when a merge leaves conflicts.
        if (await _commands.StepAsync(at.Work, "git", ["apply", "--3way", "--whitespace=nowarn", at.ModelDiff], at.Log, cancellationToken) is null)
        {
            return true;
        }

        // A failed three-way merge leaves conflict markers and a half-applied index behind; patch must start from base_commit.
        await _commands.StepAsync(at.Work, "git", ["reset", "--hard", "--quiet"], at.Log, cancellationToken);
        await _commands.StepAsync(at.Work, "git", ["clean", "-fdq"], at.Log, cancellationToken);
        return await _commands.StepAsync(at.Work, "patch", ["-p1", "--batch", "--forward", "--fuzz=3", "--no-backup-if-mismatch", "-i", at.ModelDiff], at.Log, cancellationToken) is null;
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

    /// <summary>One evaluation's folder: the checkout, the two patches as files, and the log every step appends to.</summary>
    private sealed record Scratch(SweBenchInstance Instance, string Folder, StringBuilder Log)
    {
        public string Work => Path.Combine(Folder, "repo");

        public string ModelDiff => Path.Combine(Folder, "model.diff");

        public string TestDiff => Path.Combine(Folder, "test.diff");

        public SweBenchEvaluation Result(SweBenchOutcome outcome, string reason, IReadOnlyDictionary<string, TestStatus>? tests = null) =>
            new(Instance.InstanceId, outcome, reason, tests ?? new Dictionary<string, TestStatus>(), string.Empty, TimeSpan.Zero);
    }

    /// <summary>The python the tests run on; <paramref name="Venv"/> when the checkout must be installed into it.</summary>
    private sealed record TestEnvironment(string Python, bool Venv, HttpbinStandIn? StandIn);

    /// <summary>
    /// A test run: <see cref="Tests"/> holds the outcomes when pytest ran to its end (none when it reported none), and is null
    /// when a patch, the install or a limit stopped it; <see cref="Outcome"/> and <see cref="Reason"/> say why when there are none.
    /// </summary>
    private sealed record TestRun(SweBenchOutcome Outcome, string Reason, IReadOnlyDictionary<string, TestStatus>? Tests = null, IReadOnlyDictionary<string, string>? Messages = null);
}
