using BasedEval.Core.Storage;
using BasedEval.Tests.EndToEnd;

namespace BasedEval.Tests.LlamaCpp;

/// <summary>MMLU ranked by log-likelihood on the real shared GGUF, through the real `basedeval run`.</summary>
public class LogLikelihoodRunTests
{
    private static string RepositorySuites()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "BasedEval.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir.FullName, "suites", "mmlu-sample");
    }

    private static string Workspace(string model, string provider = "llamacpp")
    {
        var root = Directory.CreateTempSubdirectory("basedeval-loglik-").FullName;
        var target = provider == "llamacpp"
            ? $"    provider: llamacpp\n    model_path: {model}\n    context_size: 2048\n    parallel: 2"
            : "    provider: openai\n    model: m\n    base_url: http://127.0.0.1:9/v1";
        File.WriteAllText(Path.Combine(root, "evals.yaml"), $"""
            version: 1
            targets:
              local:
            {target}
            suites:
              mmlu:
                format: mmlu
                path: {RepositorySuites()}
                prompt: loglikelihood
                shots: 3
            """);
        return root;
    }

    [Fact]
    public async Task Every_item_gets_the_most_likely_letter_and_two_fresh_runs_agree()
    {
        var model = SharedData.Require("models/llama-2-tiny-random.gguf");
        var first = Workspace(model);
        var second = Workspace(model);

        try
        {
            var a = await CliRunner.RunAsync(first, "run", "--target", "local");
            var b = await CliRunner.RunAsync(second, "run", "--target", "local");

            Assert.True(a.ExitCode == 0, a.Output + a.Error);
            Assert.True(b.ExitCode == 0, b.Output + b.Error);
            var answersA = await Answers(first);
            var answersB = await Answers(second);
            Assert.Equal(25, answersA.Count);
            Assert.All(answersA.Values, letter => Assert.Contains(letter, new[] { "A", "B", "C", "D" }));
            Assert.Equal(answersA, answersB);
        }
        finally
        {
            Cleanup.DeleteFolder(first);
            Cleanup.DeleteFolder(second);
        }
    }

    [Fact]
    public async Task A_remote_target_cannot_rank_and_the_config_error_says_so()
    {
        var root = Workspace("unused", provider: "openai");

        var result = await CliRunner.RunAsync(root, "run", "--target", "local");
        Directory.Delete(root, recursive: true);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("ranks answers by log-likelihood", result.Error, StringComparison.Ordinal);
    }

    private static async Task<Dictionary<string, string>> Answers(string root)
    {
        await using var store = await SqliteResultStore.OpenAsync(Path.Combine(root, ".basedeval", "results.db"), TestContext.Current.CancellationToken);
        var run = Assert.Single(await store.ListRunsAsync(TestContext.Current.CancellationToken));
        var samples = await store.GetSamplesAsync(run.Id, TestContext.Current.CancellationToken);
        Assert.All(samples, s => Assert.True(s.Succeeded && s.Usage.InputTokens > 0 && s.Score is not null, s.Error));
        return samples.ToDictionary(s => s.ItemId, s => s.Score!.Extracted!);
    }
}
