using System.Diagnostics;
using System.Globalization;

namespace BasedEval.StoreHarness;

/// <summary>A child process of this harness in write mode, with the indices it has reported committed.</summary>
internal sealed class Writer : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _error;
    private readonly Task _reading;
    private int _lastAcknowledged;

    private Writer(Process process, int start)
    {
        _process = process;
        Start = start;
        _lastAcknowledged = start - 1;
        _error = process.StandardError.ReadToEndAsync();
        _reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                Volatile.Write(ref _lastAcknowledged, int.Parse(line, CultureInfo.InvariantCulture));
            }
        });
    }

    public int Start { get; }

    public static Writer Launch(string kind, string path, int start, int? count)
    {
        // Run as this process was: through its apphost, or through dotnet with the assembly first.
        var host = Environment.ProcessPath!;
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            info.ArgumentList.Add(typeof(Writer).Assembly.Location);
        }

        foreach (var argument in new[] { "write", kind, path, start.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }

        if (count is { } n)
        {
            info.ArgumentList.Add(n.ToString(CultureInfo.InvariantCulture));
        }

        return new Writer(Process.Start(info)!, start);
    }

    public async Task WaitForAcknowledgedAsync(int samples)
    {
        while (Volatile.Read(ref _lastAcknowledged) < Start + samples - 1)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the writer exited {_process.ExitCode} before its first commit: {await _error}");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>SIGKILL: no handler, no flush, no finally block runs in the writer.</summary>
    public void Kill() => _process.Kill();

    public async Task<int> LastAcknowledgedAsync()
    {
        await _process.WaitForExitAsync();
        await _reading;
        return Volatile.Read(ref _lastAcknowledged);
    }

    public async Task<(int ExitCode, string Error)> WaitForExitAsync()
    {
        await _process.WaitForExitAsync();
        var error = await _error;
        return (_process.ExitCode, error.Split('\n', 2)[0]);
    }

    public void Dispose() => _process.Dispose();
}
