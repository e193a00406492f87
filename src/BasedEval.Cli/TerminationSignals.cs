using System.Runtime.InteropServices;

namespace BasedEval.Cli;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM (systemd, Docker, Kubernetes) ask the running verb to stop cleanly through one token:
/// a run stores what finished and marks itself interrupted, a server stops accepting and drains. A second signal ends
/// the process at once, as a user pressing Ctrl+C twice expects.
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly TextWriter _error;
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    public TerminationSignals(TextWriter error)
    {
        _error = error;
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    public CancellationToken Stopping => _stopping.Token;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _stopping.Dispose();
    }

    private void Stop(PosixSignalContext context)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        context.Cancel = true;
        var name = context.Signal == PosixSignal.SIGINT ? "interrupt" : "terminate";
        _error.WriteLine($"{name} signal: stopping cleanly, nothing finished is lost (send it again to stop at once)");
        _stopping.Cancel();
    }
}
