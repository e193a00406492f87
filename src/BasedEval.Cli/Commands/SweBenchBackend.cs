using System.CommandLine;
using BasedEval.Core.Config;
using BasedEval.Core.SweBench;

namespace BasedEval.Cli.Commands;

/// <summary>Which runner `swebench eval` uses: the local one, or containers; auto takes containers where a daemon answers.</summary>
internal enum SweBenchBackendKind
{
    Auto,
    Local,
    Docker,
}

/// <summary>The Docker back-end's options of `swebench eval`, and the choice between it and the local runner.</summary>
internal sealed class SweBenchBackend
{
    private readonly Option<SweBenchBackendKind> _kind = new("--backend")
    {
        Description = "local: this machine's Python; docker: a container per test run; auto (default): docker where a daemon answers at --docker-host, else local",
        DefaultValueFactory = _ => SweBenchBackendKind.Auto,
    };

    private readonly Option<string?> _host = new("--docker-host") { Description = "Docker daemon address (default $DOCKER_HOST, else unix:///var/run/docker.sock)" };
    private readonly Option<string?> _baseImage = new("--base-image") { Description = "An image in the daemon to build every environment on, instead of one made with debootstrap" };
    private readonly Option<string?> _wheels = new("--wheels") { Description = "Folder of wheels per repository (owner__name/*.whl) installed into its environment image; no Python index is reachable from the build" };
    private readonly Option<string?> _mirror = new("--debian-mirror") { Description = "Debian mirror for debootstrap and apt (default: the one apt is configured with)" };
    private readonly Option<int> _memory = new("--memory-mb") { Description = "Memory limit of each test container, in MiB", DefaultValueFactory = _ => 4096 };
    private readonly Option<double> _cpus = new("--cpus") { Description = "CPU limit of each test container, in cores", DefaultValueFactory = _ => 2 };
    private readonly Option<bool> _clean = new("--clean") { Description = "After the evaluation, remove the images this tool built (they are reused across runs otherwise)" };

    public IEnumerable<Option> Options => [_kind, _host, _baseImage, _wheels, _mirror, _memory, _cpus, _clean];

    public bool Clean(ParseResult parse) => parse.GetValue(_clean);

    /// <summary>
    /// The Docker executor when the backend is docker, or auto and a daemon answers; null for the local runner. A daemon that
    /// docker names but that does not answer is a <see cref="DockerEngineException"/> (exit 4).
    /// </summary>
    public async Task<DockerSweBenchExecutor?> DockerAsync(ParseResult parse, string repositories, TimeSpan testTimeout, bool preCheck, CancellationToken cancellationToken)
    {
        var kind = parse.GetValue(_kind);
        if (kind == SweBenchBackendKind.Local)
        {
            return null;
        }

        if (parse.GetValue(_memory) < 64 || parse.GetValue(_cpus) <= 0)
        {
            throw new ConfigException("--memory-mb must be at least 64 and --cpus above 0", "pass the limits of one test container, e.g. --memory-mb 4096 --cpus 2");
        }

        if (parse.GetValue(_wheels) is { } wheels && !Directory.Exists(wheels))
        {
            throw new ConfigException($"--wheels {wheels} is not a folder", "name a folder holding owner__name/*.whl per repository");
        }

        var host = parse.GetValue(_host) ?? DockerSweBenchOptions.DefaultHost;
        if (!Uri.TryCreate(host, UriKind.Absolute, out _))
        {
            throw new ConfigException($"--docker-host {host} is not an address", "use unix:///path/to/docker.sock or tcp://host:port");
        }

        var executor = new DockerSweBenchExecutor(new DockerSweBenchOptions(
            repositories, host, parse.GetValue(_baseImage), parse.GetValue(_wheels), parse.GetValue(_mirror), testTimeout,
            (long)parse.GetValue(_memory) << 20, parse.GetValue(_cpus), preCheck));
        if (await executor.UnreachableReasonAsync(cancellationToken) is not { } unreachable)
        {
            return executor;
        }

        executor.Dispose();
        return kind == SweBenchBackendKind.Docker
            ? throw new DockerEngineException($"{unreachable}; start dockerd (README, SWE-bench in containers), pass --docker-host, or use --backend local")
            : null;
    }
}
