using BasedEval.Core.Scoring.Execution;

namespace BasedEval.Core.SweBench;

/// <summary>Settings of the Docker back-end.</summary>
/// <param name="Repositories">As <see cref="LocalSweBenchOptions.Repositories"/>: the checkout is made from them on this machine.</param>
/// <param name="Host">The daemon's address (<c>unix:///var/run/docker.sock</c>, <c>tcp://…</c>).</param>
/// <param name="BaseImage">An image already in the daemon to build every environment on; null builds one per Debian release with debootstrap.</param>
/// <param name="Wheels">A folder with a sub-folder of wheels per repository (<c>owner__name/*.whl</c>) installed into its environment image.</param>
/// <param name="DebianMirror">The mirror debootstrap and apt use; null reads the one apt is configured with.</param>
/// <param name="MemoryBytes">Memory limit of each test container, swap included.</param>
/// <param name="Cpus">CPU limit of each test container, in cores.</param>
/// <param name="WorkFolder">Where debootstrap builds a root file system before it is imported; null is the temp folder.</param>
public sealed record DockerSweBenchOptions(
    string Repositories,
    string Host,
    string? BaseImage = null,
    string? Wheels = null,
    string? DebianMirror = null,
    TimeSpan? TestTimeout = null,
    long MemoryBytes = 4L << 30,
    double Cpus = 2,
    bool PreCheck = true,
    string? WorkFolder = null)
{
    /// <summary>DOCKER_HOST where it is set, else the daemon's usual socket.</summary>
    public static string DefaultHost => System.Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    /// <summary>Wall-clock limit of debootstrap and of each environment image's build.</summary>
    public TimeSpan BuildTimeout { get; init; } = TimeSpan.FromMinutes(30);

    public int OutputBytes { get; init; } = 8 << 20;
}

/// <summary>
/// Runs an instance's tests in a container, as the official harness does: the environment image of its repository and
/// version, the patched checkout mounted at <c>/testbed</c> and installed there, pytest on the test files, no network at all,
/// memory, CPU and process limits, and the container removed afterwards. Checkout, patches and verdict are those of every
/// back-end (<see cref="SweBenchCheckoutExecutor{TEnvironment}"/>), so its results compare with the local runner's.
/// </summary>
public sealed class DockerSweBenchExecutor : SweBenchCheckoutExecutor<DockerSweBenchExecutor.TestEnvironment>, IDisposable
{
    /// <summary>The exit status of <see cref="TestScript"/> when the checkout does not install; pytest's own are 0 to 5.</summary>
    private const int InstallFailed = 97;

    /// <summary>Installs the checkout editable where it is a package (the synthetic repositories of tests are not), then runs pytest on the arguments.</summary>
    private const string TestScript = $$"""
        cd /testbed
        if [ -f setup.py ] || [ -f pyproject.toml ]; then
          echo '$ python -m pip install --no-index --no-deps --no-build-isolation -e .'
          {{SweBenchImages.Python}} -m pip install --no-index --no-deps --no-build-isolation -e . 2>&1 || exit 97
        fi
        exec {{SweBenchImages.Python}} -m pytest -rA -p no:cacheprovider "$@" 2>&1
        """;

    private readonly DockerSweBenchOptions _options;
    private readonly DockerEngine _engine;
    private readonly SweBenchImages _images;

    public DockerSweBenchExecutor(DockerSweBenchOptions options)
        : base(options?.Repositories!, options?.TestTimeout, options?.PreCheck ?? true, new SweBenchCommands(null, options?.OutputBytes ?? 0, isolate: false))
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _engine = new DockerEngine(options.Host);
        _images = new SweBenchImages(_engine, options);
    }

    /// <summary>The daemon's address.</summary>
    public string Host => _options.Host;

    /// <summary>Why the daemon cannot be used, or null when it answers.</summary>
    public Task<string?> UnreachableReasonAsync(CancellationToken cancellationToken = default) => _engine.UnreachableReasonAsync(cancellationToken);

    /// <summary>
    /// Makes sure the base images the instances need are in the daemon, building them if not, before any evaluation starts:
    /// without one nothing can be evaluated, so a failure here is a <see cref="DockerEngineException"/> for the whole run.
    /// </summary>
    public async Task PrepareBaseImagesAsync(IEnumerable<SweBenchInstance> instances, TextWriter progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instances);
        foreach (var release in instances.SelectMany(i => SweBenchImages.Releases(SweBenchRecipe.For(i.Repo, i.Version))).Distinct(StringComparer.Ordinal))
        {
            await _images.BaseImageAsync(release, progress, cancellationToken);
        }
    }

    /// <summary>Removes every image this tool built in the daemon; their names.</summary>
    public Task<IReadOnlyList<string>> CleanAsync(CancellationToken cancellationToken = default) => _engine.RemoveOwnImagesAsync(cancellationToken);

    public void Dispose()
    {
        _images.Dispose();
        _engine.Dispose();
    }

    /// <summary>
    /// The environment image, and for recipes that ask for it the httpbin stand-in: its files mounted at the same path in the
    /// container, the names given to loopback by the engine, its certificate trusted through a certifi put first on PYTHONPATH.
    /// </summary>
    private protected override async Task<(TestEnvironment? Environment, string? Error)> PrepareAsync(SweBenchScratch at, CancellationToken cancellationToken)
    {
        var (image, error) = await _images.EnvironmentImageAsync(at.Instance, at.Log, cancellationToken);
        if (image is null)
        {
            return (null, error);
        }

        if (!SweBenchRecipe.For(at.Instance.Repo, at.Instance.Version).Httpbin)
        {
            return (new TestEnvironment(image, null), null);
        }

        var standIn = await HttpbinStandIn.CreateAsync(Path.Combine(at.Folder, "standin"), "/usr/bin/python3", cancellationToken);
        await standIn.WriteCertifiAsync(Path.Combine(at.Folder, "standin", "site"), cancellationToken);
        return (new TestEnvironment(image, standIn), null);
    }

    private protected override async Task<(ChildProcessResult? Run, string? Error)> TestAsync(
        SweBenchScratch at, TestEnvironment environment, IReadOnlyList<string> testFiles, bool modelPatch, CancellationToken cancellationToken)
    {
        at.Log.Append(TestHeading(modelPatch)).Append($"$ docker run --network none {environment.Image} (/testbed: the patched checkout)\n");
        string[] command = ["/bin/sh", "-c", TestScript, "sh", .. testFiles];
        var settings = new Dictionary<string, string>(TestSettings, StringComparer.Ordinal);
        List<string> binds = [$"{Path.GetFullPath(at.Work)}:/testbed"];
        if (environment.StandIn is { } standIn)
        {
            command = [.. standIn.Launcher, .. command];
            binds.Add($"{Path.Combine(at.Folder, "standin")}:{Path.Combine(at.Folder, "standin")}:ro");
            foreach (var (name, value) in standIn.Environment)
            {
                settings[name] = value;
            }

            settings["PYTHONPATH"] = Path.Combine(at.Folder, "standin", "site");
        }

        var run = await _engine.RunAsync(
            new DockerRun(environment.Image, command, binds, MemoryBytes: _options.MemoryBytes, Cpus: _options.Cpus, Environment: settings,
                ExtraHosts: environment.StandIn is null ? null : HttpbinStandIn.LoopbackNames, NetworkAdministration: environment.StandIn is not null),
            TestTimeout, Commands.OutputBytes, cancellationToken);
        at.Log.Append(run.Output);
        return run.ExitCode == InstallFailed
            ? (null, $"the checkout does not install into the environment image offline: {SweBenchCommands.LastLine(run.Output)}")
            : (run, null);
    }

    /// <summary>The image the tests run in, and the httpbin stand-in when the recipe serves one.</summary>
    public sealed record TestEnvironment(string Image, HttpbinStandIn? StandIn);

    /// <summary>As the local runner sets them: no bytecode left in the mounted checkout, UTF-8, and pip quiet and offline.</summary>
    private static readonly Dictionary<string, string> TestSettings = new(StringComparer.Ordinal)
    {
        ["PYTHONDONTWRITEBYTECODE"] = "1",
        ["LANG"] = "C.UTF-8",
        ["PIP_DISABLE_PIP_VERSION_CHECK"] = "1",
        ["PIP_NO_CACHE_DIR"] = "1",
        ["PIP_NO_INDEX"] = "1",
    };
}
