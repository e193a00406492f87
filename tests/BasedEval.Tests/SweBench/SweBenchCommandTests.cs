using System.Text.Json.Nodes;
using BasedEval.Core.SweBench;
using BasedEval.Tests.EndToEnd;

namespace BasedEval.Tests.SweBench;

/// <summary>`basedeval swebench eval` end to end on <see cref="SyntheticSweBenchRepository"/>.</summary>
public sealed class SweBenchCommandTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "basedeval-swebench-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Cleanup.DeleteFolder(_root);

    [Fact]
    public async Task Predictions_are_scored_into_a_table_a_rate_and_a_json_report_and_gold_validates()
    {
        var instance = await CreateAsync();
        var wrong = SyntheticSweBenchRepository.WrongPatch(instance);
        await File.WriteAllLinesAsync(Path.Combine(_root, "preds.jsonl"), [
            Prediction(instance.InstanceId, wrong),
        ], TestContext.Current.CancellationToken);

        var scored = await CliRunner.RunAsync(_root, "swebench", "eval", "--instances", "instances.jsonl", "--predictions", "preds.jsonl", "--repos", "repos", "--out", "out-model", "--timeout-s", "60");
        var validated = await CliRunner.RunAsync(_root, "swebench", "eval", "--instances", "instances.jsonl", "--gold", "--repos", "repos", "--instance", instance.InstanceId, "--parallel", "2", "--out", "out-gold");

        Assert.True(scored.ExitCode == 0, scored.Output + scored.Error);
        // F2P, then F2P passing before the model patch, then P2P.
        Assert.Matches(@"acme__calc-1\s+UNRESOLVED\s+0/1\s+0/1\s+1/1", scored.Output);
        Assert.DoesNotContain("already passing before the patch", scored.Output, StringComparison.Ordinal);
        Assert.Contains("resolved: 0/1 = 0.0% (95% Wilson 0.0%–", scored.Output, StringComparison.Ordinal);
        Assert.Contains("acme/calc: 0/1", scored.Output, StringComparison.Ordinal);
        Assert.True(validated.ExitCode == 0, validated.Output + validated.Error);
        Assert.Matches(@"acme__calc-1\s+RESOLVED\s+1/1\s+0/1\s+1/1", validated.Output);

        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_root, "out-gold", "report.json"), TestContext.Current.CancellationToken))!;
        Assert.Equal(SweBenchPredictions.GoldModel, (string?)report["model"]);
        Assert.Equal(1, (int?)report["report"]!["overall"]!["resolved"]);
        Assert.Equal("RESOLVED", (string?)report["instances"]![0]!["outcome"]);
        Assert.Equal(0, (int?)report["instances"]![0]!["fail_to_pass_passed_before"]);
        var logs = Path.Combine(_root, "out-gold", "logs", "acme__calc-1");
        Assert.Contains("passed", await File.ReadAllTextAsync(Path.Combine(logs, "test_output.txt"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(instance.Patch, await File.ReadAllTextAsync(Path.Combine(logs, "patch.diff"), TestContext.Current.CancellationToken));
        var perTest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(logs, "report.json"), TestContext.Current.CancellationToken))![instance.InstanceId]!;
        Assert.True((bool?)perTest["resolved"]);
        Assert.Equal("tests/test_calc.py::test_add", (string?)perTest["tests_status"]!["FAIL_TO_PASS"]!["success"]![0]);
        Assert.Empty(perTest["tests_status"]!["PASS_TO_PASS"]!["failure"]!.AsArray());
    }

    [Fact]
    public async Task Bad_input_exits_2_with_the_file_line_and_fix()
    {
        await CreateAsync();
        await File.WriteAllLinesAsync(Path.Combine(_root, "preds.jsonl"), [Prediction("acme__calc-1", string.Empty), Prediction("acme__other-7", string.Empty)], TestContext.Current.CancellationToken);

        var unknown = await CliRunner.RunAsync(_root, "swebench", "eval", "--instances", "instances.jsonl", "--predictions", "preds.jsonl", "--repos", "repos");
        var neither = await CliRunner.RunAsync(_root, "swebench", "eval", "--instances", "instances.jsonl", "--repos", "repos");
        var badId = await CliRunner.RunAsync(_root, "swebench", "eval", "--instances", "instances.jsonl", "--gold", "--repos", "repos", "--instance", "acme__calc-99");

        Assert.Equal((2, 2, 2), (unknown.ExitCode, neither.ExitCode, badId.ExitCode));
        Assert.Contains("preds.jsonl:2: instance_id 'acme__other-7' is not among the instances", unknown.Error, StringComparison.Ordinal);
        Assert.Contains("Fix:", unknown.Error, StringComparison.Ordinal);
        Assert.Contains("--gold", neither.Error, StringComparison.Ordinal);
        Assert.Contains("acme__calc-99", badId.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "reports")));
    }

    private async Task<SweBenchInstance> CreateAsync()
    {
        var executor = new LocalSweBenchExecutor(new LocalSweBenchOptions(Path.Combine(_root, "repos"), LocalSweBenchOptions.DefaultPython));
        await SyntheticSweBenchRepository.SkipUnlessRunnableAsync(executor);
        var instance = SyntheticSweBenchRepository.Create(Path.Combine(_root, "repos"));
        await File.WriteAllTextAsync(Path.Combine(_root, "instances.jsonl"), SyntheticSweBenchRepository.Record(instance) + "\n", TestContext.Current.CancellationToken);
        return instance;
    }

    private static string Prediction(string id, string patch) =>
        new JsonObject { ["instance_id"] = id, ["model_name_or_path"] = "acme-model", ["model_patch"] = patch }.ToJsonString();
}
