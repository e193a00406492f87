using System.Runtime.InteropServices;

namespace BasedEval.Tests;

/// <summary>
/// Sends a process a termination signal by kill(2) itself: a machine with only the .NET SDK has no kill program (procps),
/// and the tests that stop a process cleanly must run there too.
/// </summary>
internal static partial class Signals
{
    public static void Send(int processId, string name)
    {
        var number = name switch
        {
            "INT" => 2,
            "TERM" => 15,
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "INT or TERM"),
        };
        if (Kill(processId, number) != 0)
        {
            throw new InvalidOperationException($"kill({processId}, SIG{name}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int processId, int signal);
}
