using System.Runtime.InteropServices;

namespace BasedEval.Core.Targets;

/// <summary>
/// The lowest real-time priority (SCHED_FIFO 1) for a thread that must wake the moment its event comes, on a machine
/// whose other threads fill every core. Only for threads that sleep between events: a real-time thread that spun would
/// starve the rest.
/// </summary>
internal static partial class RealTimePriority
{
    private const int SchedFifo = 1;

    /// <summary>Raises the calling thread; false where Linux refuses (not root, no CAP_SYS_NICE) or it is not Linux.</summary>
    public static bool TryRaiseCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var lowestRealTimePriority = 1;
        return SetScheduler(0, SchedFifo, ref lowestRealTimePriority) == 0;
    }

    // pid 0 is the calling thread; the argument is struct sched_param, whose only field is the priority.
    [LibraryImport("libc", EntryPoint = "sched_setscheduler")]
    private static partial int SetScheduler(int pid, int policy, ref int priority);
}
