using System.Diagnostics;
using System.Text;
using BasedEval.Core.Scoring.Execution;

namespace BasedEval.Core.SweBench;

/// <summary>The git, patch, pip and pytest processes of one runner: limits, a clean environment, and isolation where it exists.</summary>
internal sealed class SweBenchCommands
{
    private readonly TimeSpan? _stepTimeout;
    private readonly int _outputBytes;
    private readonly bool? _isolate;
    private readonly Lazy<string?> _unshare;

    /// <param name="stepTimeout">Wall-clock limit of each git, patch or pip step; null is 5 minutes.</param>
    /// <param name="outputBytes">Largest output kept of one process; more kills it.</param>
    /// <param name="isolate">False never uses namespaces; null uses a private network namespace where unprivileged ones work.</param>
    public SweBenchCommands(TimeSpan? stepTimeout, int outputBytes, bool? isolate)
    {
        _stepTimeout = stepTimeout;
        _outputBytes = outputBytes;
        _isolate = isolate;
        _unshare = new Lazy<string?>(ProbeUnshare);
    }

    public int OutputBytes => _outputBytes;

    /// <summary>The unshare executable when private namespaces work here and isolation is not switched off; else null.</summary>
    public string? Unshare => _unshare.Value;

    public TimeSpan StepTimeout => _stepTimeout ?? TimeSpan.FromMinutes(5);

    /// <summary>Runs one git or patch step; null when it succeeded, else its last line of output.</summary>
    public async Task<string?> StepAsync(string folder, string tool, string[] arguments, StringBuilder log, CancellationToken cancellationToken)
    {
        var executable = ChildProcess.FindOnPath(tool);
        if (executable is null)
        {
            return $"{tool} was not found on PATH";
        }

        var run = await RunAsync(folder, executable, arguments, StepTimeout, cancellationToken);
        log.Append("$ ").Append(tool).Append(' ').AppendJoin(' ', arguments).Append('\n').Append(run.Output);
        return run.ExitCode == 0 ? null : run.TimedOut ? $"{tool} {arguments[0]} timed out" : LastLine(run.Output) ?? $"{tool} {arguments[0]} exited with {run.ExitCode}";
    }

    /// <summary>
    /// Runs a process; <paramref name="isolated"/> puts it in a private network namespace where one can be made, and a
    /// <paramref name="standIn"/> runs it behind the httpbin stand-in, which needs one.
    /// </summary>
    public Task<ChildProcessResult> RunAsync(
        string folder, string executable, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken, bool isolated = false, HttpbinStandIn? standIn = null)
    {
        var start = new ProcessStartInfo { WorkingDirectory = folder };
        if ((isolated || standIn is not null) && Unshare is { } unshare)
        {
            start.FileName = unshare;
            foreach (var argument in standIn is null ? ChildProcess.UnshareArguments : [.. HttpbinStandIn.UnshareArguments, .. standIn.Launcher])
            {
                start.ArgumentList.Add(argument);
            }

            start.ArgumentList.Add(executable);
        }
        else
        {
            start.FileName = executable;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Nothing from the user's git or Python configuration may change how a patch applies or which packages load.
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["PYTHONNOUSERSITE"] = "1";
        start.Environment.Remove("PYTHONPATH");
        start.Environment["LANG"] = "C.UTF-8";
        start.Environment["PIP_DISABLE_PIP_VERSION_CHECK"] = "1";
        start.Environment["PIP_NO_CACHE_DIR"] = "1";
        foreach (var (name, value) in standIn?.Environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return ChildProcess.RunAsync(start, timeout, _outputBytes, cancellationToken);
    }

    public static string? LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() is { } line
            ? line.Length > 300 ? line[..300] + "…" : line
            : null;

    private string? ProbeUnshare()
    {
        if (_isolate == false || ChildProcess.FindOnPath("unshare") is not { } unshare || !File.Exists("/bin/true"))
        {
            return null;
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo(unshare, [.. ChildProcess.UnshareArguments, "/bin/true"]) { WorkingDirectory = Path.GetTempPath(), RedirectStandardError = true, RedirectStandardOutput = true })!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            return process.WaitForExit(TimeSpan.FromSeconds(30)) && process.ExitCode == 0 ? unshare : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
