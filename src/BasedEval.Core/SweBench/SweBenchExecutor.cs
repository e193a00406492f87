namespace BasedEval.Core.SweBench;

public enum SweBenchOutcome
{
    /// <summary>Every FAIL_TO_PASS and every PASS_TO_PASS test passes after the model patch and the test patch.</summary>
    Resolved,

    /// <summary>The tests ran and at least one listed test did not pass (a missing one counts as failed).</summary>
    Unresolved,

    /// <summary>The model patch does not apply to the repository at base_commit.</summary>
    PatchFailed,

    /// <summary>
    /// The environment, not the model, stopped the evaluation: no checkout, a test patch that does not apply, a timeout, or
    /// listed tests that cannot pass on this machine (<see cref="EnvironmentLimits"/>).
    /// </summary>
    Error,
}

/// <summary>What evaluating one prediction found; <see cref="Tests"/> holds the outcome of every test the log names.</summary>
/// <param name="FailToPassBefore">
/// The FAIL_TO_PASS tests that already passed with the test patch alone, before the model patch; null when that was not run.
/// Any at all means the instance cannot tell a fix from no change.
/// </param>
public sealed record SweBenchEvaluation(
    string InstanceId,
    SweBenchOutcome Outcome,
    string Reason,
    IReadOnlyDictionary<string, TestStatus> Tests,
    string Log,
    TimeSpan Elapsed,
    IReadOnlyList<string>? FailToPassBefore = null)
{
    public bool Resolved => Outcome == SweBenchOutcome.Resolved;
}

/// <summary>Evaluates a model patch against one instance: clean checkout, patch, test patch, tests, verdict.</summary>
public interface ISweBenchExecutor
{
    Task<SweBenchEvaluation> EvaluateAsync(SweBenchInstance instance, string modelPatch, CancellationToken cancellationToken = default);
}
