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

        Directory.CreateDirectory(Path.Combine(Folder, "data"));
        Directory.CreateDirectory(Path.Combine(Folder, "exec"));
        File.Delete(Path.Combine(Folder, "docker.sock"));
        var start = new ProcessStartInfo(ChildProcess.FindOnPath("dockerd")!,
        [
            "--iptables=false", "--bridge=none", "--storage-driver=vfs", "--data-root", Path.Combine(Folder, "data"),
            "--exec-root", Path.Combine(Folder, "exec"), "--pidfile", Path.Combine(Folder, "docker.pid"), "-H", StableHost,
        ])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        _started = Process.Start(start)!;
        _started.OutputDataReceived += (_, _) => { };
        _started.ErrorDataReceived += (_, _) => { };
        _started.BeginOutputReadLine();
        _started.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60) && !_started.HasExited)
        {
            if (await AnswersAsync(StableHost))
            {
                Host = StableHost;
                return;
            }

            await Task.Delay(500);
        }

        Unavailable = $"dockerd did not answer at {StableHost} within 60 s (exit {(_started.HasExited ? _started.ExitCode : "none")})";
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
    }

    /// <summary>Skips the calling test where no daemon could be had; under CI, fails it, since .ci/run provides one.</summary>
    public string Require()
    {
        Prerequisite.RequireInstalledByCi(Host is not null, Unavailable ?? "no Docker daemon");
        return Host!;
    }

    private static async Task<bool> AnswersAsync(string host)
    {
        using var executor = new DockerSweBenchExecutor(new DockerSweBenchOptions(Path.GetTempPath(), host));
        return await executor.UnreachableReasonAsync() is null;
    }
}
