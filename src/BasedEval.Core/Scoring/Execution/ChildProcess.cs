using System.Diagnostics;
using System.Text;

namespace BasedEval.Core.Scoring.Execution;

/// <summary>How a child process ended: its exit code (null when it was killed), its stdout and stderr interleaved and capped.</summary>
/// <param name="TimedOut">Killed at the wall-clock deadline.</param>
/// <param name="OutputExceeded">Killed for writing more than the output cap.</param>
public sealed record ChildProcessResult(int? ExitCode, string Output, bool TimedOut, bool OutputExceeded, TimeSpan Elapsed);

/// <summary>
/// The process side of every execution sandbox: start, close stdin, drain both streams under a byte cap, kill the whole tree at a
/// deadline or at the cap. Shared by <see cref="PythonSandbox"/> (model-written HumanEval code) and the SWE-bench runner
/// (git and test suites of real repositories), so that timeout and kill rules are written once.
/// </summary>
public static class ChildProcess
{
    /// <summary>
    /// <c>unshare</c> arguments for a private user, network and PID namespace: no interface but a downed loopback, and every
    /// descendant dies with the first process.
    /// </summary>
    public static IReadOnlyList<string> UnshareArguments { get; } = ["--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--"];

    public static async Task<ChildProcessResult> RunAsync(ProcessStartInfo start, TimeSpan timeout, int outputBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.Start();
        process.StandardInput.Close();
        var output = new BoundedOutput(outputBytes);
        using var overflow = new CancellationTokenSource();
        var readers = Task.WhenAll(
            output.DrainAsync(process.StandardOutput.BaseStream, overflow),
            output.DrainAsync(process.StandardError.BaseStream, overflow));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, overflow.Token);
        deadline.CancelAfter(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!overflow.IsCancellationRequested && !cancellationToken.IsCancellationRequested && process.HasExited)
        {
            // The runtime reaps the child as soon as it ends, but the task that reports it waits for a pool thread; on a busy
            // machine the deadline can run first. A process that had already ended on its own did not time out.
        }
        catch (OperationCanceledException)
        {
            timedOut = !overflow.IsCancellationRequested;
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        // A descendant that outlived the kill could hold the pipes open; its output no longer matters.
        await Task.WhenAny(readers, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None));
        cancellationToken.ThrowIfCancellationRequested();
        var exceeded = overflow.IsCancellationRequested;
        return new ChildProcessResult(timedOut || exceeded ? null : process.ExitCode, output.Text(), timedOut, exceeded, stopwatch.Elapsed);
    }

    /// <summary>The first file named <paramref name="name"/> in a PATH folder, or null.</summary>
    public static string? FindOnPath(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    internal static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the deadline and the kill.
        }
    }

    /// <summary>
    /// stdout and stderr interleaved in the order their reads complete, up to a byte limit; going past it cancels <c>overflow</c>.
    /// Across the two pipes that need not be the order the child wrote them; a child whose last line must come last writes
    /// both streams to one pipe.
    /// </summary>
    private sealed class BoundedOutput(int limit)
    {
        private readonly byte[] _buffer = new byte[limit];
        private readonly Lock _gate = new();
        private int _length;

        public async Task DrainAsync(Stream stream, CancellationTokenSource overflow)
        {
            var chunk = new byte[8192];
            int read;
            while ((read = await stream.ReadAsync(chunk, CancellationToken.None)) > 0)
            {
                lock (_gate)
                {
                    var kept = Math.Min(limit - _length, read);
                    chunk.AsSpan(0, kept).CopyTo(_buffer.AsSpan(_length));
                    _length += kept;
                    if (read > kept)
                    {
                        overflow.Cancel();
                        return;
                    }
                }
            }
        }

        public string Text()
        {
            lock (_gate)
            {
                return Encoding.UTF8.GetString(_buffer, 0, _length);
            }
        }
    }
}
