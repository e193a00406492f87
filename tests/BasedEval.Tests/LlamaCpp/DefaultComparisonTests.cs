using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Tests.EndToEnd;

namespace BasedEval.Tests.LlamaCpp;

/// <summary>The repository's evals.yaml: what `basedeval compare` runs on a fresh clone, offline.</summary>
public class DefaultComparisonTests
{
    [Fact]
    public void The_default_compares_the_F16_model_with_its_own_Q4_0_quantization()
    {
        var config = ConfigLoader.Load(Path.Combine(SyntheticModels.RepositoryRoot, "evals.yaml"));

        var comparison = Assert.Single(config.Comparisons.Values);
        var baseline = config.Targets[comparison.Baseline].Local!;
        var candidate = Assert.IsType<QuantizeRecipe>(config.Targets[comparison.Candidate].Local!.Build);
        Assert.IsType<SynthesizeRecipe>(baseline.Build);
        Assert.Equal("q4_0", candidate.FileType);
        Assert.Equal(baseline, candidate.Source);
        Assert.All(config.Targets.Values, t => Assert.Equal(ProviderKind.LlamaCpp, t.Provider));
        Assert.All(config.Targets.Values, t => Assert.Equal(0, t.Local!.GpuLayers));
    }

    [Fact]
    public async Task Compare_with_no_arguments_builds_both_models_and_reaches_a_verdict()
    {
        var workspace = Directory.CreateTempSubdirectory("basedeval-default-").FullName;
        try
        {
            File.Copy(Path.Combine(SyntheticModels.RepositoryRoot, "evals.yaml"), Path.Combine(workspace, "evals.yaml"));
            CopyFolder(Path.Combine(SyntheticModels.RepositoryRoot, "suites"), Path.Combine(workspace, "suites"));

            var result = await CliRunner.RunAsync(workspace, "compare");

            Assert.True(result.ExitCode is ExitCodes.Pass or ExitCodes.Fail or ExitCodes.Inconclusive, result.Output + result.Error);
            Assert.Contains("verdict:", result.Output, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(workspace, ".basedeval", "models", "tiny-llama-q4_0.gguf")));
            var report = Assert.Single(Directory.GetDirectories(Path.Combine(workspace, "reports")));
            Assert.True(File.Exists(Path.Combine(report, "comparison.json")));
        }
        finally
        {
            Cleanup.DeleteFolder(workspace);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
