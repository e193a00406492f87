using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace BasedEval.Tests.Scale;

/// <summary>The state of one job (or one task of an array) as scontrol shows it.</summary>
public sealed record SlurmJobState(string JobId, string? ArrayTaskId, string State, int ExitCode, DateTime? Start, DateTime? End);

/// <summary>
/// A real Slurm cluster of its own for a test class, on this machine: munged with its own key and socket, slurmctld and
/// slurmd in the foreground as child processes, one node on 127.0.0.1, free ports, and every file (slurm.conf, state,
/// spool, logs) in a private temporary folder, so the machine's /etc/slurm and /run/munge are never used. Clients reach
/// it through SLURM_CONF. Everything it started is stopped on dispose: jobs cancelled first, then the daemons.
/// </summary>
public sealed class SlurmCluster : IAsyncLifetime
{
    public const string NodeName = "basedeval-node";

    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private static readonly string[] TerminalStates = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"];
    private readonly List<(string Name, Process Process, StringBuilder Output)> _daemons = [];
    private string? _folder;
    private Exception? _startFailure;

    /// <summary>Why the cluster cannot run here: a program .ci/run installs is missing. Null when it runs.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>slurmd starts jobs as their user and munged runs as the munge user, which takes root.</summary>
    public static bool Privileged => Environment.IsPrivilegedProcess;

    public string ConfigFile => Path.Combine(_folder!, "slurm.conf");

    /// <summary>Skips the calling test, with the reason, where the cluster cannot run; fails it where it should have but did not start.</summary>
    public void Require()
    {
        Prerequisite.RequireInstalledByCi(Unavailable is null, Unavailable ?? string.Empty);
        Prerequisite.Require(Privileged, "a Slurm cluster needs root here: slurmd starts jobs as their user and munged runs as `munge`");
        if (_startFailure is not null)
        {
            throw new InvalidOperationException($"the Slurm cluster did not start: {_startFailure.Message}", _startFailure);
        }
    }

    /// <summary>Points a client (sbatch, squeue, or a process that runs them) at this cluster.</summary>
    public ProcessStartInfo Client(ProcessStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        info.Environment["SLURM_CONF"] = ConfigFile;
        return info;
    }

    public async ValueTask InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
#pragma warning disable CA1031 // Kept for the tests that need the cluster, so the class's other tests still run.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // A cluster that failed to start half-way stops what it had started before a test reports the failure.
            await DisposeAsync();
            _startFailure = e;
        }
    }

    private async Task StartAsync()
    {
        var missing = new[] { "slurmctld", "slurmd", "sbatch", "scontrol", "squeue", "scancel", "munged", "setpriv" }.Where(p => Program(p) is null).ToList();
        if (missing.Count > 0)
        {
            Unavailable = $"Slurm and munge are not installed (Debian packages slurm-wlm and munge; missing {string.Join(", ", missing)})";
            return;
        }

        if (!Privileged || !OperatingSystem.IsLinux())
        {
            return;
        }

        _folder = Directory.CreateTempSubdirectory("basedeval-slurm-").FullName;
        // munged refuses a socket or key whose folders it cannot check: the root folder is traversable, its own are its user's.
        File.SetUnixFileMode(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var munge = Path.Combine(_folder, "munge");
        var socketFolder = Path.Combine(_folder, "munge-socket");
        Directory.CreateDirectory(munge, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(socketFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var key = Path.Combine(munge, "munge.key");
        await File.WriteAllBytesAsync(key, RandomNumberGenerator.GetBytes(128));
        File.SetUnixFileMode(key, UnixFileMode.UserRead);
        await Programs.RunAsync("chown", "-R", "munge:munge", munge, socketFolder);

        var socket = Path.Combine(socketFolder, "munge.socket");
        Start("munged", "setpriv", "--reuid=munge", "--regid=munge", "--init-groups", Program("munged")!, "--foreground", $"--socket={socket}", $"--key-file={key}",
            $"--log-file={Path.Combine(munge, "munged.log")}", $"--pid-file={Path.Combine(munge, "munged.pid")}", $"--seed-file={Path.Combine(munge, "munged.seed")}");
        await WaitAsync(() => File.Exists(socket), () => "munged to create its socket");

        foreach (var folder in new[] { "state", "spool", "log" })
        {
            Directory.CreateDirectory(Path.Combine(_folder, folder));
        }

        await File.WriteAllTextAsync(ConfigFile, Configuration(_folder, socket, FreePort(), FreePort()));
        Start("slurmctld", Program("slurmctld")!, "-D", "-f", ConfigFile);
        Start("slurmd", Program("slurmd")!, "-D", "-f", ConfigFile, "-N", NodeName);
        var node = string.Empty;
        await WaitAsync(
            () =>
            {
                node = Control("scontrol", "show", "node", "-o", NodeName).Output;
                return node.Contains("State=IDLE", StringComparison.Ordinal);
            },
            () => $"the node to register with slurmctld and be idle (last seen: {node})");
    }

    /// <summary>
    /// Every task of the job once all have ended, polled with scontrol (no accounting database is needed), within a
    /// deadline of minutes: the deadline only stops a hung test, it times nothing.
    /// </summary>
    public async Task<IReadOnlyList<SlurmJobState>> WaitForJobAsync(string jobId, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var last = string.Empty;
        while (clock.Elapsed < deadline)
        {
            var (code, output) = Control("scontrol", "show", "job", "-o", jobId);
            last = output;
            var states = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Parse).ToList();
            if (code == 0 && states.Count > 0 && states.All(s => TerminalStates.Contains(s.State)))
            {
                return states;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }

        throw new TimeoutException($"Slurm job {jobId} had not ended after {deadline}: {last}\n{Logs()}");
    }

    /// <summary>The daemons' own logs, for a failure message.</summary>
    public string Logs()
    {
        var text = new StringBuilder();
        foreach (var (name, _, output) in _daemons)
        {
            lock (output)
            {
                text.Append(CultureInfo.InvariantCulture, $"--- {name}\n").Append(output.Length > 4000 ? output.ToString(output.Length - 4000, 4000) : output.ToString());
            }
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_daemons.Count == 3)
            {
                // Jobs still running (a failed test) would outlive slurmd in their slurmstepd: cancel them while it can.
                var jobs = Control("squeue", "-h", "-o", "%A").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (jobs.Length > 0)
                {
                    Control("scancel", jobs);
                }
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < TimeSpan.FromSeconds(30) && Control("squeue", "-h", "-o", "%A").Output.Trim().Length > 0)
                {
                    await Task.Delay(200);
                }
            }
        }
#pragma warning disable CA1031 // Cleanup must never mask the test's own outcome.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        // slurmd before slurmctld before munged, each given a moment to stop on SIGTERM.
        for (var i = _daemons.Count - 1; i >= 0; i--)
        {
            var process = _daemons[i].Process;
            try
            {
                if (!process.HasExited)
                {
                    Signals.Send(process.Id, "TERM");

                    using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    try
                    {
                        await process.WaitForExitAsync(grace.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        process.Kill(entireProcessTree: true);
                        await process.WaitForExitAsync();
                    }
                }
            }
#pragma warning disable CA1031
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            process.Dispose();
        }

        _daemons.Clear();
        if (_folder is not null)
        {
            Cleanup.DeleteFolder(_folder);
        }
    }

    /// <summary>A client command against this cluster: its exit code and its output and errors together.</summary>
    public (int Code, string Output) Control(string program, params string[] arguments)
    {
        var info = Client(new ProcessStartInfo(Program(program) ?? program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" });
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    /// <summary>
    /// One node with more CPUs than this machine may have (config_overrides: the node is what slurm.conf says), so the four
    /// shard tasks run at once; no cgroups, no accounting database, no mail: what a container can run.
    /// </summary>
    private static string Configuration(string folder, string mungeSocket, int controllerPort, int nodePort) => string.Create(CultureInfo.InvariantCulture, $"""
        ClusterName=basedeval-test
        SlurmctldHost={Environment.MachineName}(127.0.0.1)
        SlurmctldPort={controllerPort}
        SlurmdPort={nodePort}
        SlurmUser=root
        SlurmdUser=root
        AuthType=auth/munge
        CredType=cred/munge
        AuthInfo=socket={mungeSocket}
        StateSaveLocation={folder}/state
        SlurmdSpoolDir={folder}/spool
        SlurmctldPidFile={folder}/slurmctld.pid
        SlurmdPidFile={folder}/slurmd.pid
        SlurmctldLogFile={folder}/log/slurmctld.log
        SlurmdLogFile={folder}/log/slurmd.log
        ProctrackType=proctrack/linuxproc
        TaskPlugin=task/none
        JobAcctGatherType=jobacct_gather/none
        AccountingStorageType=accounting_storage/none
        JobCompType=jobcomp/none
        MpiDefault=none
        MailProg=/bin/true
        SchedulerType=sched/backfill
        SelectType=select/cons_tres
        SelectTypeParameters=CR_CPU
        ReturnToService=2
        MinJobAge=600
        SlurmdParameters=config_overrides
        NodeName={NodeName} NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
        PartitionName=debug Nodes={NodeName} Default=YES MaxTime=INFINITE State=UP

        """);

    private static SlurmJobState Parse(string line)
    {
        string? Field(string name) => line.Split(' ').FirstOrDefault(f => f.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];
        var exit = Field("ExitCode") ?? "0:0";
        DateTime? Time(string name) => DateTime.TryParseExact(Field(name), "yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;
        return new SlurmJobState(Field("JobId") ?? string.Empty, Field("ArrayTaskId"), Field("JobState") ?? string.Empty, int.Parse(exit.Split(':')[0], CultureInfo.InvariantCulture), Time("StartTime"), Time("EndTime"));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The program's full path: PATH first, then the sbin folders a non-login PATH may lack.</summary>
    private static string? Program(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/sbin", "/bin"])
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private void Start(string name, string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _folder };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        var output = new StringBuilder();
        var process = Process.Start(info)!;
        void Append(object? sender, DataReceivedEventArgs e)
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        }

        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _daemons.Add((name, process, output));
    }

    private async Task WaitAsync(Func<bool> ready, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!ready())
        {
            if (_daemons.FirstOrDefault(d => d.Process.HasExited) is { Process: not null } ended)
            {
                throw new InvalidOperationException($"{ended.Name} exited {ended.Process.ExitCode} while waiting for {what()}:\n{Logs()}");
            }

            if (clock.Elapsed > StartDeadline)
            {
                throw new TimeoutException($"waited {StartDeadline} for {what()}:\n{Logs()}");
            }

            await Task.Delay(100);
        }
    }
}
