using System.Diagnostics;
using BasedEval.Cli;

namespace BasedEval.Tests.EndToEnd;

internal sealed record CliResult(int ExitCode, string Output, string Error);

/// <summary>Runs the real `basedeval` entry point in-process, capturing what it prints.</summary>
internal static class CliRunner
{
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    public static async Task<CliResult> RunAsync(string workingDirectory, params string[] args)
    {
        // The current directory is process-wide; tests that use it take turns.
        await OneAtATime.WaitAsync();
        var previous = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = workingDirectory;
            using var output = new StringWriter();
            using var error = new StringWriter();
            var code = await BasedEvalApp.InvokeAsync(args, output, error);
            return new CliResult(code, output.ToString(), error.ToString());
        }
        finally
        {
            Environment.CurrentDirectory = previous;
            OneAtATime.Release();
        }
    }
}

/// <summary>Starts an assembly of the test output folder as its own process, its output and errors redirected.</summary>
internal static class DotnetProcess
{
    /// <summary>
    /// The working folder is always given: CliRunner moves this process's current directory into workspaces that are deleted
    /// when their test ends, and a child that inherits a folder deleted under it dies before its first line.
    /// </summary>
    public static ProcessStartInfo StartInfo(string assemblyFileName, string workingDirectory, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assemblyFileName));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>
    /// Starts the process and kills it with SIGKILL (no handler, no flush, no checkpoint runs) once <paramref name="killWhen"/>
    /// holds, draining its output as it comes so a full pipe never blocks it first. Returns what it printed.
    /// </summary>
    public static async Task<string> KillWhenAsync(ProcessStartInfo info, Func<bool> killWhen, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var log = new System.Text.StringBuilder();
        using var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        while (!killWhen())
        {
            Assert.False(process.HasExited, "the process ended before it could be killed: " + log);
            await Task.Delay(5, timeout.Token);
        }

        process.Kill();
        await process.WaitForExitAsync(timeout.Token);
        lock (log)
        {
            return log.ToString();
        }
    }
}
