namespace BasedEval.Core.Running;

/// <summary>A run stopped because it was asked to (Ctrl+C, SIGTERM): everything answered is stored and the run is marked interrupted.</summary>
public sealed class RunInterruptedException(string runId, string targetName)
    : OperationCanceledException($"run {runId} of target {targetName} was interrupted")
{
    public string RunId { get; } = runId;

    public string TargetName { get; } = targetName;
}
