using System.Diagnostics;
using BasedEval.Core.Scoring.Execution;
using BasedEval.Core.SweBench;

namespace BasedEval.Tests.SweBench;

/// <summary>
/// A Docker daemon for the Docker tests: the one at DOCKER_HOST or at the stable socket below when it answers (.ci/run starts
/// one there), else one started here as .ci/run starts it, and stopped afterwards. Its data lives under
/// ~/.cache/basedeval/docker, so the base image built once (debootstrap, about a minute on a quiet machine) serves later runs.
/// </summary>
public sealed class DockerDaemon : IAsyncLifetime
{
    private static readonly string Folder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "basedeval", "docker");

    private Process? _started;

    private string? _privateFolder;

    /// <summary>The daemon's address; null when none could be had, and <see cref="Unavailable"/> says why.</summary>
    public string? Host { get; private set; }

    public string? Unavailable { get; private set; }

    /// <summary>Where the tests' daemon listens; .ci/run starts its daemon on the same socket.</summary>
    public static string StableHost => "unix://" + Path.Combine(Folder, "docker.sock");

    public async ValueTask InitializeAsync()
    {
        foreach (var candidate in new[] { Environment.GetEnvironmentVariable("DOCKER_HOST"), StableHost }.OfType<string>().Where(h => h.Length > 0))
        {
            if (await AnswersAsync(candidate))
            {
                Host = candidate;
                return;
            }
        }

        Unavailable = Environment.UserName != "root" ? "the Docker tests start dockerd, which needs root"
            : ChildProcess.FindOnPath("dockerd") is null ? "dockerd was not found on PATH (Debian: apt-get install docker.io)"
            : ChildProcess.FindOnPath("debootstrap") is null ? "debootstrap was not found on PATH; it builds the base image (Debian: apt-get install debootstrap)"
            : null;
        if (Unavailable is not null)
        {
            return;
        }

        (_started, Unavailable) = await StartAsync(Folder);
        Host = Unavailable is null ? StableHost : null;
    }

    /// <summary>
    /// A daemon of the caller's own on a data root that starts empty and is deleted with it: for tests that remove images,
    /// which must not touch the shared daemon's cached base images. Its folder has a short name, because containerd's socket
    /// inside must fit the 108 bytes of a socket address.
    /// </summary>
    public static async Task<DockerDaemon> StartPrivateAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "bd-" + Guid.NewGuid().ToString("N")[..12]);
        var daemon = new DockerDaemon { _privateFolder = folder };
        (daemon._started, daemon.Unavailable) = await StartAsync(folder);
        daemon.Host = daemon.Unavailable is null ? "unix://" + Path.Combine(folder, "docker.sock") : null;
        return daemon;
    }

    public async ValueTask DisposeAsync()
    {
        if (_started is { HasExited: false })
        {
            // SIGTERM lets dockerd stop its containerd and release the data root; a kill would leave them for the next run.
            using var term = Process.Start("kill", ["-TERM", _started.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await term.WaitForExitAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _started.WaitForExitAsync(deadline.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        _started?.Dispose();
        if (_privateFolder is not null)
        {
            // dockerd mounts its data root over itself and a network namespace under its exec root; one that did not stop
            // cleanly leaves them, and rm cannot go through a mount.
            var mounts = File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(_privateFolder + "/", StringComparison.Ordinal));
            foreach (var mount in mounts.OrderByDescending(m => m.Length))
            {
                using var unmount = Process.Start(new ProcessStartInfo("umount", ["--lazy", mount]) { RedirectStandardError = true });
                await unmount!.WaitForExitAsync();
            }

            // The data root holds files of containers that only root may remove, and vfs layers with device nodes.
            using var remove = Process.Start("rm", ["-rf", "--one-file-system", _privateFolder]);
            await remove.WaitForExitAsync();
        }
    }

    /// <summary>Skips the calling test where no daemon could be had; under CI, fails it, since .ci/run provides one.</summary>
    public string Require()
    {
        Prerequisite.RequireInstalledByCi(Host is not null, Unavailable ?? "no Docker daemon");
        return Host!;
    }

    /// <summary>Starts dockerd as .ci/run does, on a data root, exec root and socket in <paramref name="folder"/>; the process, or why it did not answer.</summary>
    private static async Task<(Process? Started, string? Unavailable)> StartAsync(string folder)
    {
        var host = "unix://" + Path.Combine(folder, "docker.sock");
        Directory.CreateDirectory(Path.Combine(folder, "data"));
        Directory.CreateDirectory(Path.Combine(folder, "exec"));
        File.Delete(Path.Combine(folder, "docker.sock"));
        // In a session of its own, so that no signal meant for the daemon's process group reaches the test process, or back.
        var start = new ProcessStartInfo("setsid",
        [
            ChildProcess.FindOnPath("dockerd")!, "--iptables=false", "--bridge=none", "--storage-driver=vfs", "--data-root", Path.Combine(folder, "data"),
            "--exec-root", Path.Combine(folder, "exec"), "--pidfile", Path.Combine(folder, "docker.pid"), "-H", host,
        ])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var started = Process.Start(start)!;
        started.OutputDataReceived += (_, _) => { };
        started.ErrorDataReceived += (_, _) => { };
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60) && !started.HasExited)
        {
            if (await AnswersAsync(host))
            {
                return (started, null);
            }

            await Task.Delay(500);
        }

        return (started, $"dockerd did not answer at {host} within 60 s (exit {(started.HasExited ? started.ExitCode : "none")})");
    }

    private static async Task<bool> AnswersAsync(string host)
    {
        using var executor = new DockerSweBenchExecutor(new DockerSweBenchOptions(Path.GetTempPath(), host));
        return await executor.UnreachableReasonAsync() is null;
    }
}
