using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace BasedEval.Core.Scoring.Execution;

/// <summary>Limits on one execution of model-written code.</summary>
/// <param name="Timeout">Wall-clock time before the process tree is killed.</param>
/// <param name="MemoryBytes">Address-space limit (RLIMIT_AS).</param>
/// <param name="CpuSeconds">CPU-time limit (RLIMIT_CPU), a backstop for the wall-clock timeout.</param>
/// <param name="OutputBytes">stdout and stderr together; more kills the process. Also the largest file it may write (RLIMIT_FSIZE).</param>
/// <param name="Parallel">Executions at once per scorer.</param>
public sealed record SandboxLimits(TimeSpan Timeout, long MemoryBytes, int CpuSeconds, int OutputBytes, int Parallel)
{
    /// <summary>5 s, 1 GiB, 6 CPU seconds, 64 KiB of output, one execution per core.</summary>
    public static SandboxLimits Default { get; } = new(TimeSpan.FromSeconds(5), 1L << 30, 6, 64 * 1024, Environment.ProcessorCount);
}

public enum ExecutionOutcome
{
    Passed,
    Failed,
    TimedOut,
    OutputLimit,
}

/// <summary>What one execution did. <see cref="Reason"/> is one line for the score's explanation; <see cref="Output"/> is stdout and stderr, capped.</summary>
public sealed record ExecutionResult(ExecutionOutcome Outcome, int? ExitCode, string Reason, string Output, TimeSpan Elapsed)
{
    public bool Passed => Outcome == ExecutionOutcome.Passed;
}

/// <summary>
/// Runs Python programs in a child process: a fresh temporary working folder, deleted afterwards; an empty environment;
/// stdin closed; rlimits on address space, CPU time, file size and process count; a wall-clock timeout that kills the whole
/// process tree; output capped; and, where the kernel allows unprivileged user namespaces, <c>unshare</c> puts the process in
/// a private network namespace (no interface but loopback) and PID namespace (everything dies with it). Where it does not,
/// <see cref="IsolationWarning"/> says so and the in-process guard (<see cref="SandboxGuard"/>) is the only network wall.
/// <para>
/// Python comes from the machine: <c>python3</c> on PATH (or the interpreter given), resolved once to its real executable so
/// that version-manager shims are not started per execution. Without it <see cref="UnavailableReason"/> is set and nothing runs.
/// </para>
/// </summary>
public sealed class PythonSandbox
{
    private static readonly Lazy<PythonSandbox> SharedInstance = new(() => new PythonSandbox());

    private readonly Lazy<Probe> _probe;

    /// <param name="python">Interpreter to use; null finds python3 on PATH.</param>
    /// <param name="isolate">False never uses namespaces; null uses them where they work.</param>
    public PythonSandbox(string? python = null, bool? isolate = null) =>
        _probe = new Lazy<Probe>(() => ProbeMachine(python, isolate));

    /// <summary>The machine's python3, probed on first use.</summary>
    public static PythonSandbox Shared => SharedInstance.Value;

    /// <summary>Why nothing can run here (no usable python3), or null.</summary>
    public string? UnavailableReason => _probe.Value.UnavailableReason;

    /// <summary>Set when executions run without a private network namespace.</summary>
    public string? IsolationWarning => _probe.Value.IsolationWarning;

    /// <summary>Whether executions get private network and PID namespaces.</summary>
    public bool Isolated => _probe.Value.Unshare is not null;

    public async Task<ExecutionResult> RunAsync(string program, SandboxLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(limits);
        var probe = _probe.Value;
        if (probe.Python is null)
        {
            throw new InvalidOperationException($"Python cannot run here: {probe.UnavailableReason}");
        }

        var folder = Path.Combine(Path.GetTempPath(), "basedeval-exec-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, SandboxGuard.ProgramFileName), program, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(folder, SandboxGuard.FileName), SandboxGuard.Source, cancellationToken);
            var marker = "basedeval-done-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            return await ExecuteAsync(probe, folder, marker, limits, cancellationToken);
        }
        finally
        {
            TryDelete(folder);
        }
    }

    private static async Task<ExecutionResult> ExecuteAsync(Probe probe, string folder, string marker, SandboxLimits limits, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo { WorkingDirectory = folder };
        if (probe.Unshare is { } unshare)
        {
            start.FileName = unshare;
            foreach (var argument in ChildProcess.UnshareArguments)
            {
                start.ArgumentList.Add(argument);
            }

            start.ArgumentList.Add(probe.Python!);
        }
        else
        {
            start.FileName = probe.Python!;
        }

        // -I: no user site, no PYTHON* variables, no script folder on sys.path; -B: no .pyc files written.
        foreach (var argument in (string[])["-I", "-B", SandboxGuard.FileName,
            limits.MemoryBytes.ToString(CultureInfo.InvariantCulture), limits.CpuSeconds.ToString(CultureInfo.InvariantCulture),
            limits.OutputBytes.ToString(CultureInfo.InvariantCulture), "64", marker])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        start.Environment["HOME"] = folder;
        start.Environment["TMPDIR"] = folder;
        start.Environment["LANG"] = "C.UTF-8";

        var run = await ChildProcess.RunAsync(start, limits.Timeout, limits.OutputBytes, cancellationToken);
        var elapsed = run.Elapsed;
        var text = run.Output;
        var seconds = limits.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        if (run.OutputExceeded)
        {
            return new ExecutionResult(ExecutionOutcome.OutputLimit, null, $"output exceeded {limits.OutputBytes / 1024} KiB", text, elapsed);
        }

        if (run.TimedOut)
        {
            return new ExecutionResult(ExecutionOutcome.TimedOut, null, $"timed out after {seconds} s", text, elapsed);
        }

        var exitCode = run.ExitCode!.Value;
        if (exitCode == 0 && text.Contains(marker, StringComparison.Ordinal))
        {
            return new ExecutionResult(ExecutionOutcome.Passed, 0, "passed", text.Replace("\n" + marker + "\n", string.Empty, StringComparison.Ordinal), elapsed);
        }

        var reason = exitCode switch
        {
            0 => "the program exited before its tests finished",
            // 128 + SIGXCPU (24) or SIGKILL (9): the CPU limit, from the shell-like exit status unshare passes on; .NET shows -signal or 128+signal depending on the parent.
            152 or -24 or 137 or -9 => $"killed at the CPU limit of {limits.CpuSeconds} s",
            _ => LastLine(text) is { Length: > 0 } last ? last : $"exit status {exitCode}",
        };
        return new ExecutionResult(ExecutionOutcome.Failed, exitCode, reason, text, elapsed);
    }

    private static string? LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() is { } line
            ? line.Length > 300 ? line[..300] + "…" : line
            : null;

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary folder is harmless; failing the score over it would not be.
        }
    }

    private sealed record Probe(string? Python, string? Unshare, string? UnavailableReason, string? IsolationWarning);

    private static Probe ProbeMachine(string? python, bool? isolate)
    {
        var candidate = python ?? ChildProcess.FindOnPath("python3");
        if (candidate is null || !File.Exists(candidate))
        {
            return new Probe(null, null, $"{python ?? "python3"} was not found{(python is null ? " on PATH" : string.Empty)}; HumanEval runs each completion with it (Debian: apt-get install python3)", null);
        }

        var (code, output) = RunQuietly(candidate, ["-I", "-c", "import sys; print(sys.executable); print(sys.version_info >= (3, 8))"]);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (code != 0 || lines.Length < 2 || !File.Exists(lines[0]))
        {
            return new Probe(null, null, $"{candidate} did not run (exit status {code}): {output.Trim()}", null);
        }

        if (lines[1] != "True")
        {
            return new Probe(null, null, $"{lines[0]} is older than Python 3.8, which the sandbox's audit hook needs", null);
        }

        var executable = lines[0];
        if (isolate == false)
        {
            return new Probe(executable, null, null, "network and PID namespaces are switched off; the in-process guard alone blocks network access");
        }

        var unshare = ChildProcess.FindOnPath("unshare");
        if (unshare is not null)
        {
            var (probeCode, probeOutput) = RunQuietly(unshare, [.. ChildProcess.UnshareArguments, executable, "-I", "-c", "import socket; socket.create_connection(('127.0.0.1', 9), 1)"]);
            // Inside a private namespace even loopback is down, so the connection fails fast with ENETUNREACH, not ECONNREFUSED.
            if (probeCode != 0 && probeOutput.Contains("Network is unreachable", StringComparison.Ordinal))
            {
                return new Probe(executable, unshare, null, null);
            }

            return new Probe(executable, null, null, $"unshare could not create a private network namespace here ({LastLine(probeOutput) ?? $"exit status {probeCode}"}); the in-process guard alone blocks network access");
        }

        return new Probe(executable, null, null, "unshare was not found; the in-process guard alone blocks network access");
    }

    private static (int Code, string Output) RunQuietly(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = Path.GetTempPath(), RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                ChildProcess.Kill(process);
                return (-1, "did not finish within 30 s");
            }

            return (process.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
