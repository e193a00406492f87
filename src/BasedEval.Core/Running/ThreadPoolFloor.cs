namespace BasedEval.Core.Running;

/// <summary>
/// The thread pool adds threads slowly (about two a second) once its minimum is in use. A run that starts with many
/// streams in flight would otherwise queue their first chunks behind each other and report the client's queueing as
/// the server's time to first token, worst on few cores; and a store write that blocks a thread (SQLite commits
/// synchronously) would halve a two-core machine's pool until the pool noticed.
/// </summary>
public static class ThreadPoolFloor
{
    public static void EnsureFor(int concurrency)
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        var wanted = Math.Min(concurrency + Environment.ProcessorCount, 512);
        if (workers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, Math.Max(completionPorts, wanted));
        }
    }
}
