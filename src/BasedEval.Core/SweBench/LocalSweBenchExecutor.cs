using BasedEval.Core.Scoring.Execution;

namespace BasedEval.Core.SweBench;

/// <summary>Where the repository's code is imported from when its tests run.</summary>
public enum SweBenchEnvironment
{
    /// <summary>The interpreter as it is: the checkout is importable from the working folder, its dependencies must already be installed.</summary>
    Interpreter,

    /// <summary>
    /// A throwaway virtual environment per evaluation, built by the repository's <see cref="SweBenchRecipe"/>, that sees the
    /// recipe's Debian packages of this machine (as its environment image holds them) and holds the patched checkout as an editable install, offline; for repositories whose tests
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
/// Runs an instance's tests on this machine, no Docker: on the interpreter as it is or in a throwaway virtual environment
/// built by the repository's recipe, in a private network namespace where the kernel allows one. Checkout, patches and
/// verdict are those of every back-end (<see cref="SweBenchCheckoutExecutor{TEnvironment}"/>).
/// </summary>
public sealed class LocalSweBenchExecutor : SweBenchCheckoutExecutor<LocalSweBenchExecutor.TestEnvironment>
{
    private readonly LocalSweBenchOptions _options;

    public LocalSweBenchExecutor(LocalSweBenchOptions options)
        : base(options?.Repositories!, options?.TestTimeout, options?.PreCheck ?? true, new SweBenchCommands(options?.GitTimeout, options?.OutputBytes ?? 0, options?.Isolate))
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Set when tests run with the machine's network, because no private namespace could be made here.</summary>
    public string? IsolationWarning => Commands.Unshare is null
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
        var run = await Commands.RunAsync(Path.GetTempPath(), _options.Python, ["-m", "pytest", "--version"], TimeSpan.FromSeconds(60), cancellationToken);
        return run.ExitCode == 0 ? null : $"{_options.Python} -m pytest does not run ({SweBenchCommands.LastLine(run.Output)}); Debian: apt-get install python3-pytest";
    }

    /// <summary>The recipe's virtual environment and stand-in, or the interpreter as it is; null and why when they cannot be made.</summary>
    private protected override async Task<(TestEnvironment? Environment, string? Error)> PrepareAsync(SweBenchScratch at, CancellationToken cancellationToken)
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
            if (Commands.Unshare is null)
            {
                return (null, $"{at.Instance.Repo} tests need the loopback httpbin stand-in, which needs a private network namespace (unshare) that cannot be made here");
            }

            if (await HttpbinStandIn.UnavailableReasonAsync(_options.Python, cancellationToken) is { } unavailable)
            {
                return (null, unavailable);
            }

            standIn = await HttpbinStandIn.CreateAsync(Path.Combine(at.Folder, "standin"), _options.Python, cancellationToken);
        }

        var (python, error) = await SweBenchVenv.CreateAsync(Commands, interpreter, at.Instance, standIn, Path.Combine(at.Folder, "venv"), at.Log, cancellationToken);
        return error is null ? (new TestEnvironment(python, Venv: true, standIn), null) : (null, error);
    }

    private protected override async Task<(ChildProcessResult? Run, string? Error)> TestAsync(
        SweBenchScratch at, TestEnvironment environment, IReadOnlyList<string> testFiles, bool modelPatch, CancellationToken cancellationToken)
    {
        if (environment.Venv && await SweBenchVenv.InstallAsync(Commands, environment.Python, at.Work, at.Log, cancellationToken) is { } installError)
        {
            return (null, installError);
        }

        at.Log.Append(TestHeading(modelPatch));
        var run = await Commands.RunAsync(at.Work, environment.Python, ["-m", "pytest", "-rA", "-p", "no:cacheprovider", .. testFiles], TestTimeout, cancellationToken, isolated: true, environment.StandIn);
        at.Log.Append(run.Output);
        return (run, null);
    }

    /// <summary>The python the tests run on; <paramref name="Venv"/> when the checkout must be installed into it.</summary>
    public sealed record TestEnvironment(string Python, bool Venv, HttpbinStandIn? StandIn);
}
