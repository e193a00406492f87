using BasedEval.Core.Storage;
using BasedEval.Tests.EndToEnd;

namespace BasedEval.Tests.LlamaCpp;

/// <summary>The structured suite format on the real shared GGUF, through the real `basedeval run`, with and without the grammar.</summary>
public class StructuredRunTests
{
    // Bounded answers (enums, a boolean, a short integer) so that random weights reach the end within the token limit.
    private const string Items = """
        {"id": "sentiment", "messages": [{"role": "user", "content": "Sentiment of: 'I loved it.'"}], "response_format": {"name": "s", "schema": {"type": "object", "properties": {"label": {"enum": ["positive", "negative"]}}, "required": ["label"], "additionalProperties": false}}, "expected": {"json": {"label": "positive"}}}
        {"id": "is-even", "messages": [{"role": "user", "content": "Is 4 even?"}], "response_format": {"name": "b", "schema": {"type": "object", "properties": {"even": {"type": "boolean"}}, "required": ["even"]}}, "expected": {"json": {"even": true}}}
        {"id": "count", "messages": [{"role": "user", "content": "How many legs has a cat?"}], "response_format": {"name": "n", "schema": {"type": "object", "properties": {"legs": {"type": "integer", "minimum": 0}}, "required": ["legs"]}}, "expected": {"json": {"legs": 4}}}
        """;

    private static string Workspace(string model, bool grammar)
    {
        var root = Directory.CreateTempSubdirectory("basedeval-structured-").FullName;
        File.WriteAllText(Path.Combine(root, "items.jsonl"), Items);
        File.WriteAllText(Path.Combine(root, "evals.yaml"), $"""
            version: 1
            targets:
              local:
                provider: llamacpp
                model_path: {model}
                context_size: 1024
                grammar: {(grammar ? "true" : "false")}
                sampling: {"{"} max_tokens: 48 {"}"}
            suites:
              structured:
                format: structured
                path: items.jsonl
            """);
        return root;
    }

    [Fact]
    public async Task Constrained_answers_are_stored_schema_valid_and_free_ones_are_not()
    {
        var model = SharedData.Require("models/llama-2-tiny-random.gguf");
        var constrained = Workspace(model, grammar: true);
        var free = Workspace(model, grammar: false);
        try
        {
            var withGrammar = await CliRunner.RunAsync(constrained, "run", "--target", "local");
            var without = await CliRunner.RunAsync(free, "run", "--target", "local");

            Assert.True(withGrammar.ExitCode == 0, withGrammar.Output + withGrammar.Error);
            Assert.True(without.ExitCode == 0, without.Output + without.Error);
            var constrainedSamples = await Samples(constrained);
            Assert.Equal(3, constrainedSamples.Count);
            Assert.All(constrainedSamples, s => Assert.True(s.Score!.Checks["valid_json"] && s.Score.Checks["schema_valid"], s.Score.Explanation));
            Assert.All(await Samples(free), s => Assert.False(s.Score!.Checks["valid_json"], s.ResponseText));
        }
        finally
        {
            Cleanup.DeleteFolder(constrained);
            Cleanup.DeleteFolder(free);
        }
    }

    private static async Task<IReadOnlyList<Sample>> Samples(string root)
    {
        await using var store = await SqliteResultStore.OpenAsync(Path.Combine(root, ".basedeval", "results.db"), TestContext.Current.CancellationToken);
        var run = Assert.Single(await store.ListRunsAsync(TestContext.Current.CancellationToken));
        var samples = await store.GetSamplesAsync(run.Id, TestContext.Current.CancellationToken);
        Assert.All(samples, s => Assert.True(s.Succeeded && s.Score is not null, s.Error));
        return samples;
    }
}
