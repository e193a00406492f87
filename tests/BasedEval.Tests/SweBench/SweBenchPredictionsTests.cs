using System.Text;
using BasedEval.Core.Suites;
using BasedEval.Core.SweBench;

namespace BasedEval.Tests.SweBench;

public class SweBenchPredictionsTests
{
    [Fact]
    public void Json_lines_and_a_json_array_read_alike_and_a_null_patch_is_an_empty_prediction()
    {
        const string Lines = "{\"instance_id\": \"a__x-1\", \"model_name_or_path\": \"m\", \"model_patch\": \"diff --git a/f b/f\\n\"}\n\n{\"instance_id\": \"a__x-2\", \"model_name_or_path\": \"m\", \"model_patch\": null}\n";
        const string Array = "[\n {\"instance_id\": \"a__x-1\", \"model_name_or_path\": \"m\", \"model_patch\": \"diff --git a/f b/f\\n\"},\n {\"instance_id\": \"a__x-2\", \"model_name_or_path\": \"m\", \"model_patch\": null}\n]";

        var fromLines = SweBenchPredictions.Parse("p.jsonl", Encoding.UTF8.GetBytes(Lines));
        var fromArray = SweBenchPredictions.Parse("p.json", Encoding.UTF8.GetBytes(Array));

        Assert.Equal(["a__x-1", "a__x-2"], fromLines.Select(p => p.InstanceId));
        Assert.Equal(fromLines.Select(p => (p.InstanceId, p.ModelNameOrPath, p.ModelPatch)), fromArray.Select(p => (p.InstanceId, p.ModelNameOrPath, p.ModelPatch)));
        Assert.Equal(string.Empty, fromLines[1].ModelPatch);
        Assert.Equal(3, fromLines[1].Line);
    }

    [Theory]
    [InlineData("{\"model_name_or_path\": \"m\", \"model_patch\": \"\"}", 1, "no instance_id")]
    [InlineData("{\"instance_id\": \"a\", \"model_name_or_path\": \"m\", \"model_patch\": 3}", 1, "model_patch is a JSON number")]
    [InlineData("{\"instance_id\": \"a\", \"model_patch\": \"\"}", 1, "no model_name_or_path")]
    [InlineData("{\"instance_id\": \"a\", \"model_name_or_path\": \"m\", \"model_patch\": \"\"}\n{\"instance_id\": \"a\", \"model_name_or_path\": \"m\", \"model_patch\": \"\"}", 2, "also has a prediction at line 1")]
    [InlineData("{\"instance_id\": \"a\",", 1, "not valid JSON")]
    [InlineData("{\"instance_id\": \"a\", \"model_name_or_path\": \"m\", \"model_patch\": \"\", \"cost_usd\": \"cheap\"}", 1, "cost_usd is \"cheap\"")]
    public void A_bad_record_names_the_file_the_line_and_a_fix(string content, long line, string problem)
    {
        var error = Assert.Throws<SuiteDataException>(() => SweBenchPredictions.Parse("p.jsonl", Encoding.UTF8.GetBytes(content)));

        Assert.Equal(("p.jsonl", (long?)line), (error.File, error.Line));
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.NotEmpty(error.Fix);
    }

    [Fact]
    public void A_prediction_for_an_unknown_instance_is_an_error_at_its_line_and_gold_uses_the_instances_patches()
    {
        SweBenchInstance[] instances = [new("a__x-1", "a/x", "abc", "gold diff", string.Empty, string.Empty, string.Empty, "1.0", [], [], "abc", string.Empty)];
        var predictions = SweBenchPredictions.Parse("p.jsonl", Encoding.UTF8.GetBytes("{\"instance_id\": \"a__x-1\", \"model_name_or_path\": \"m\", \"model_patch\": \"\"}\n{\"instance_id\": \"b__y-9\", \"model_name_or_path\": \"m\", \"model_patch\": \"\"}\n"));

        var error = Assert.Throws<SuiteDataException>(() => SweBenchPredictions.Match("p.jsonl", instances, predictions));
        var gold = SweBenchPredictions.Match("i.jsonl", instances, SweBenchPredictions.Gold(instances));

        Assert.Equal(2, error.Line);
        Assert.Contains("b__y-9", error.Problem, StringComparison.Ordinal);
        Assert.Equal(("gold diff", SweBenchPredictions.GoldModel), (gold[0].Prediction.ModelPatch, gold[0].Prediction.ModelNameOrPath));
    }

    [Fact]
    public void Written_predictions_read_back_with_their_cost_and_carry_only_the_official_keys_besides()
    {
        var path = Path.Combine(Path.GetTempPath(), "basedeval-preds-" + Guid.NewGuid().ToString("N") + ".jsonl");
        try
        {
            SweBenchPredictions.Write(path, [
                new SweBenchPrediction("a__x-1", "m", "diff --git a/f b/f\n+é \"q\"\n", 0) { CostUsd = 0.0125 },
                new SweBenchPrediction("a__x-2", "m", string.Empty, 0)]);

            var lines = File.ReadAllLines(path);
            var read = SweBenchPredictions.Load(path);

            Assert.Equal(2, lines.Length);
            Assert.Equal(["instance_id", "model_name_or_path", "model_patch", "cost_usd"], System.Text.Json.JsonDocument.Parse(lines[0]).RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(("diff --git a/f b/f\n+é \"q\"\n", (double?)0.0125), (read[0].ModelPatch, read[0].CostUsd));
            Assert.Equal((string.Empty, (double?)null), (read[1].ModelPatch, read[1].CostUsd));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
