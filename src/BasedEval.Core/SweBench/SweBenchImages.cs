using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using BasedEval.Core.Scoring.Execution;

namespace BasedEval.Core.SweBench;

/// <summary>
/// The image layers of the Docker back-end, as the official harness layers them: a base image per Debian release (made here
/// with debootstrap and imported, since no registry is reachable, or one the user names), then an environment image per
/// repository and version with its Debian packages, a virtual environment over them and any wheels the user gives. Tags are
/// hashes of what made the image, so a run reuses what an earlier one built and a changed recipe builds anew.
/// </summary>
internal sealed class SweBenchImages(DockerEngine engine, DockerSweBenchOptions options) : IDisposable
{
    /// <summary>Where the environment image's virtual environment lives; the test container's python.</summary>
    public const string Python = "/opt/basedeval/venv/bin/python";

    private const string BaseRepository = "basedeval-swebench-base";
    private const string EnvironmentRepository = "basedeval-swebench-env";

    /// <summary>What the official base image holds too: an interpreter, pytest and git.</summary>
    private static readonly string[] BasePackages = ["python3", "python3-pytest", "git"];

    /// <summary>
    /// Runs in a container of a base image with the host's network, so that apt reaches the Debian mirror; a package the
    /// release lacks is named in the log and left out, because one recipe serves two releases.
    /// </summary>
    private const string InstallScript = """
        set -e
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        wanted=""
        for package in python3-venv python3-pip $BASEDEVAL_PACKAGES; do
          if apt-cache show "$package" >/dev/null 2>&1; then wanted="$wanted $package"; else echo "not in this Debian release: $package"; fi
        done
        apt-get install -y -qq --no-install-recommends $wanted
        apt-get clean
        rm -rf /var/lib/apt/lists/*

        """;

    /// <summary>
    /// Makes the environment image: the virtual environment the tests run in, over the image's packages and, for an older
    /// Python, over the newer release's packages copied to /borrowed (the local back-end's Python 3.9 sees them the same way).
    /// </summary>
    private const string EnvironmentScript = InstallScript + $$"""
        python3 -m venv --system-site-packages /opt/basedeval/venv
        site=$(/opt/basedeval/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        if [ -n "$BASEDEVAL_ALIASES" ]; then printf '%s' "$BASEDEVAL_ALIASES" > "$site/basedeval_collections_aliases.pth"; fi
        if [ -d /borrowed ]; then
          mkdir -p /opt/basedeval/debian-packages && cp -a /borrowed/. /opt/basedeval/debian-packages/
          echo /opt/basedeval/debian-packages > "$site/{{SweBenchVenv.DebianPackagesPth}}"
        fi
        if [ -d /wheels ]; then /opt/basedeval/venv/bin/python -m pip install --no-index --no-deps /wheels/*.whl; fi
        """;

    /// <summary>Runs in a container of the newer release: installs the recipe's packages and copies what they put under dist-packages to /export.</summary>
    private const string LendingScript = InstallScript + $"cp -a {DebianPackageView.DistPackages}/. /export/\n";

    private readonly SemaphoreSlim _building = new(1, 1);

    /// <summary>Debian's release with Python 3.11, whose packages every recipe's tests were made to pass with.</summary>
    private const string NewerRelease = "bookworm";

    /// <summary>The Debian release whose Python the recipe asks for: 3.9 is bullseye's, 3.11 bookworm's.</summary>
    public static string Release(SweBenchRecipe recipe) => recipe.OlderPython ? "bullseye" : NewerRelease;

    /// <summary>The base images the recipe's environment is made from: its release's, and for the older Python the newer one, which lends its packages.</summary>
    public static IEnumerable<string> Releases(SweBenchRecipe recipe) => recipe.OlderPython ? [Release(recipe), NewerRelease] : [NewerRelease];

    /// <summary>The base image of <paramref name="release"/>, built when the daemon lacks it; a failure ends the run.</summary>
    public async Task<string> BaseImageAsync(string release, TextWriter progress, CancellationToken cancellationToken)
    {
        if (options.BaseImage is { } named)
        {
            return await engine.ImageIdAsync(named, cancellationToken) is null
                ? throw new DockerEngineException($"the base image {named} is not in the daemon at {engine.Host}; load it there (`docker load`, `docker import`), or leave out --base-image to have one built with debootstrap")
                : named;
        }

        var mirror = options.DebianMirror ?? DebianMirror.FromApt()
            ?? throw new DockerEngineException("no Debian mirror is configured for apt on this machine; pass --debian-mirror URL");
        var recipe = $"debootstrap --variant=minbase --include={string.Join(',', BasePackages)} {release} {mirror}";
        var tag = $"{BaseRepository}:{release}-{Hash(recipe)}";
        await _building.WaitAsync(cancellationToken);
        try
        {
            if (await engine.ImageIdAsync(tag, cancellationToken) is not null)
            {
                return tag;
            }

            await progress.WriteLineAsync($"building the base image {tag}: {recipe}");
            await BuildBaseAsync(release, mirror, tag, cancellationToken);
            return tag;
        }
        finally
        {
            _building.Release();
        }
    }

    /// <summary>
    /// The environment image of the instance's repository and version, built when the daemon lacks it; null and why when it
    /// cannot be built. A recipe for the older Python, on base images made here, gets the newer release's packages: the
    /// older release lacks some its tests need (tomli) or has them too old (setuptools-scm 5, where pytest 7.0 wants 6).
    /// </summary>
    public async Task<(string? Image, string? Error)> EnvironmentImageAsync(SweBenchInstance instance, StringBuilder log, CancellationToken cancellationToken)
    {
        var recipe = SweBenchRecipe.For(instance.Repo, instance.Version);
        var packages = string.Join(' ', SweBenchRecipe.DebianPackages(instance.Repo));
        var baseImage = await BaseImageAsync(Release(recipe), TextWriter.Null, cancellationToken);
        var lender = recipe.OlderPython && options.BaseImage is null ? await BaseImageAsync(NewerRelease, TextWriter.Null, cancellationToken) : null;
        var wheels = options.Wheels is { } folder ? Path.Combine(Path.GetFullPath(folder), instance.Repo.Replace("/", "__", StringComparison.Ordinal)) : null;
        var wheelFiles = wheels is not null && Directory.Exists(wheels) ? Directory.GetFiles(wheels, "*.whl").Order(StringComparer.Ordinal).ToList() : [];
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["BASEDEVAL_PACKAGES"] = lender is null ? packages : string.Empty,
            ["BASEDEVAL_ALIASES"] = recipe.CollectionsAliases ? SweBenchVenv.CollectionsAliases : string.Empty,
        };
        var inputs = new StringBuilder().Append(await engine.ImageIdAsync(baseImage, cancellationToken)).Append('\n').Append(EnvironmentScript).Append('\n');
        foreach (var (name, value) in environment)
        {
            inputs.Append(name).Append('=').Append(value).Append('\n');
        }

        if (lender is not null)
        {
            inputs.Append(await engine.ImageIdAsync(lender, cancellationToken)).Append('\n').Append(LendingScript).Append(packages).Append('\n');
        }

        foreach (var wheel in wheelFiles)
        {
            await using var content = File.OpenRead(wheel);
            inputs.Append(Path.GetFileName(wheel)).Append(' ').Append(Convert.ToHexStringLower(await SHA256.HashDataAsync(content, cancellationToken))).Append('\n');
        }

        var tag = $"{EnvironmentRepository}:{Hash(inputs.ToString())}";
        var borrowed = Path.Combine(options.WorkFolder ?? Path.GetTempPath(), "basedeval-borrowed-" + Guid.NewGuid().ToString("N"));
        await _building.WaitAsync(cancellationToken);
        try
        {
            if (await engine.ImageIdAsync(tag, cancellationToken) is not null)
            {
                log.Append($"$ environment image {tag} (built before)\n");
                return (tag, null);
            }

            List<string> binds = wheelFiles.Count > 0 ? [$"{wheels}:/wheels:ro"] : [];
            if (lender is not null)
            {
                log.Append($"$ Debian packages {packages} of {lender}, for the Python of {baseImage}\n");
                Directory.CreateDirectory(borrowed);
                var lent = await engine.RunAsync(
                    new DockerRun(lender, ["/bin/sh", "-c", LendingScript], [$"{borrowed}:/export"], HostNetwork: true, Environment: new Dictionary<string, string> { ["BASEDEVAL_PACKAGES"] = packages }),
                    options.BuildTimeout, 8 << 20, cancellationToken);
                log.Append(lent.Output);
                if (lent.ExitCode != 0)
                {
                    return (null, BuildError(instance, lent));
                }

                binds.Add($"{borrowed}:/borrowed:ro");
            }

            log.Append($"$ build environment image {tag} from {baseImage}: Debian packages {environment["BASEDEVAL_PACKAGES"]}; {wheelFiles.Count} wheel(s)\n");
            var run = await engine.RunAsync(
                new DockerRun(baseImage, ["/bin/sh", "-c", EnvironmentScript], binds, HostNetwork: true, Environment: environment),
                options.BuildTimeout, 8 << 20, cancellationToken, commitAs: tag, layer: "environment");
            log.Append(run.Output);
            return run.ExitCode == 0 ? (tag, null) : (null, BuildError(instance, run));
        }
        finally
        {
            _building.Release();
            await RemoveTreeAsync(borrowed);
        }
    }

    public void Dispose() => _building.Dispose();

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    private async Task BuildBaseAsync(string release, string mirror, string tag, CancellationToken cancellationToken)
    {
        if (ChildProcess.FindOnPath("debootstrap") is not { } debootstrap)
        {
            throw new DockerEngineException("debootstrap was not found on PATH, and it builds the base image (Debian: apt-get install debootstrap); or name an image with --base-image");
        }

        var root = Path.Combine(options.WorkFolder ?? Path.GetTempPath(), "basedeval-rootfs-" + Guid.NewGuid().ToString("N"));
        try
        {
            var start = new ProcessStartInfo(debootstrap, ["--variant=minbase", $"--include={string.Join(',', BasePackages)}", release, root, mirror]);
            var run = await ChildProcess.RunAsync(start, options.BuildTimeout, 8 << 20, cancellationToken);
            if (run.ExitCode != 0)
            {
                throw new DockerEngineException($"debootstrap of {release} from {mirror} failed ({(run.TimedOut ? "timed out" : SweBenchCommands.LastLine(run.Output))}); it must run as root and reach the mirror (--debian-mirror), or name an image with --base-image");
            }

            using var tar = Process.Start(new ProcessStartInfo("tar", ["-C", root, "-c", "."]) { RedirectStandardOutput = true, UseShellExecute = false })!;
            await engine.ImportAsync(tar.StandardOutput.BaseStream, DockerEngine.SplitName(tag).Repository, DockerEngine.SplitName(tag).Tag, "base", cancellationToken);
            await tar.WaitForExitAsync(cancellationToken);
        }
        finally
        {
            await RemoveTreeAsync(root);
        }
    }

    private static string BuildError(SweBenchInstance instance, ChildProcessResult run) =>
        $"the environment image of {instance.Repo} {instance.Version} did not build ({(run.TimedOut ? "timed out" : SweBenchCommands.LastLine(run.Output))}); its log is in the instance's log";

    /// <summary>rm, not Directory.Delete: a root file system holds device nodes, and containers leave files only root may remove.</summary>
    private static async Task RemoveTreeAsync(string folder)
    {
        if (Path.Exists(folder))
        {
            using var remove = Process.Start(new ProcessStartInfo("rm", ["-rf", "--one-file-system", folder]) { UseShellExecute = false });
            await remove!.WaitForExitAsync(CancellationToken.None);
        }
    }
}

/// <summary>The Debian mirror apt is configured with, which debootstrap builds the base image from.</summary>
internal static class DebianMirror
{
    /// <summary>The first non-security URI of /etc/apt/sources.list or a .sources or .list file under sources.list.d; null when none.</summary>
    public static string? FromApt(string root = "/")
    {
        var files = new List<string> { Path.Combine(root, "etc/apt/sources.list") };
        var folder = Path.Combine(root, "etc/apt/sources.list.d");
        if (Directory.Exists(folder))
        {
            files.AddRange(Directory.GetFiles(folder).Where(f => f.EndsWith(".sources", StringComparison.Ordinal) || f.EndsWith(".list", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        }

        foreach (var line in files.Where(File.Exists).SelectMany(File.ReadLines).Select(l => l.Trim()))
        {
            // deb822 ("URIs: http://…") or one-line ("deb [options] http://… suite components").
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var uri = words switch
            {
                ["URIs:", var first, ..] => first,
                ["deb", ..] => words.Skip(1).FirstOrDefault(w => w.Contains("://", StringComparison.Ordinal)),
                _ => null,
            };
            if (uri is not null && !uri.Contains("security", StringComparison.Ordinal))
            {
                return uri;
            }
        }

        return null;
    }
}
