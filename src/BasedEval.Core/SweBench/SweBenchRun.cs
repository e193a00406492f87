namespace BasedEval.Core.SweBench;

/// <summary>One evaluated prediction as the report lists it; the full log is written apart because it can run to megabytes.</summary>
/// <param name="FailToPassPassedBefore">FAIL_TO_PASS tests that passed before the model patch (null: not checked); see <see cref="SweBenchEvaluation.FailToPassBefore"/>.</param>
public sealed record SweBenchInstanceResult(
    string InstanceId,
    string Repo,
    SweBenchOutcome Outcome,
    string Reason,
    int FailToPassPassed,
    int FailToPass,
    int PassToPassPassed,
    int PassToPass,
    double ElapsedSeconds,
    int? FailToPassPassedBefore)
{
    public static SweBenchInstanceResult From(SweBenchInstance instance, SweBenchEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(evaluation);
        int Passing(IReadOnlyList<string> ids) => ids.Count(t => PytestLog.Passes(evaluation.Tests, t));
        return new SweBenchInstanceResult(
            instance.InstanceId, instance.Repo, evaluation.Outcome, evaluation.Reason,
            Passing(instance.FailToPass), instance.FailToPass.Count, Passing(instance.PassToPass), instance.PassToPass.Count,
            Math.Round(evaluation.Elapsed.TotalSeconds, 1), evaluation.FailToPassBefore?.Count);
    }
}

/// <summary>The JSON document of one `swebench eval`: what was evaluated, the rates, and every instance's verdict.</summary>
public sealed record SweBenchRunDocument(
    string Model,
    string InstancesFile,
    string? PredictionsFile,
    DateTimeOffset StartedAt,
    SweBenchReport Report,
    IReadOnlyList<SweBenchInstanceResult> Instances);

/// <summary>Evaluates predictions with at most a given number in flight; results keep the order of the predictions.</summary>
public static class SweBenchRun
{
    public static async Task<IReadOnlyList<SweBenchEvaluation>> EvaluateAsync(
        ISweBenchExecutor executor,
        IReadOnlyList<(SweBenchInstance Instance, SweBenchPrediction Prediction)> work,
        int parallel,
        IProgress<SweBenchEvaluation>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(work);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallel, 1);
        var results = new SweBenchEvaluation[work.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, work.Count),
            new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken },
            async (index, token) =>
            {
                var (instance, prediction) = work[index];
                results[index] = await executor.EvaluateAsync(instance, prediction.ModelPatch, token);
                progress?.Report(results[index]);
            });
        return results;
    }
}
