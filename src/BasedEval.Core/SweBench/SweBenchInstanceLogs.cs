using System.Text.Json;
using System.Text.Json.Nodes;

namespace BasedEval.Core.SweBench;

/// <summary>
/// An instance's files as the official harness keeps them, whichever back-end ran it: <c>patch.diff</c> (the model patch),
/// <c>test_output.txt</c> (every step and the test output) and <c>report.json</c> (the per-test report), in a folder named
/// after the instance.
/// </summary>
public static class SweBenchInstanceLogs
{
    public static async Task WriteAsync(string folder, SweBenchInstance instance, string modelPatch, SweBenchEvaluation evaluation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(evaluation);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "patch.diff"), modelPatch, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "test_output.txt"), evaluation.Log, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "report.json"), Report(instance, modelPatch, evaluation).ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
    }

    /// <summary>
    /// The harness's per-instance report: whether the patch applied and resolved, and each listed test as a success or a
    /// failure under FAIL_TO_PASS and PASS_TO_PASS.
    /// </summary>
    public static JsonObject Report(SweBenchInstance instance, string modelPatch, SweBenchEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(modelPatch);
        ArgumentNullException.ThrowIfNull(evaluation);
        JsonObject Split(IReadOnlyList<string> tests) => new()
        {
            ["success"] = new JsonArray([.. tests.Where(t => PytestLog.Passes(evaluation.Tests, t)).Select(t => (JsonNode)t)]),
            ["failure"] = new JsonArray([.. tests.Where(t => !PytestLog.Passes(evaluation.Tests, t)).Select(t => (JsonNode)t)]),
        };
        return new JsonObject
        {
            [instance.InstanceId] = new JsonObject
            {
                ["patch_is_None"] = false,
                ["patch_exists"] = modelPatch.Trim().Length > 0,
                ["patch_successfully_applied"] = evaluation.Outcome != SweBenchOutcome.PatchFailed && evaluation.Tests.Count > 0,
                ["resolved"] = evaluation.Resolved,
                ["tests_status"] = new JsonObject
                {
                    ["FAIL_TO_PASS"] = Split(instance.FailToPass),
                    ["PASS_TO_PASS"] = Split(instance.PassToPass),
                },
            },
        };
    }
}
