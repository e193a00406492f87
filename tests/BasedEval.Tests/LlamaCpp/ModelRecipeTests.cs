using System.Security.Cryptography;
using System.Text;
using BasedEval.Core.Config;
using BasedEval.LlamaCpp;
using BasedEval.LlamaCpp.Gguf;

namespace BasedEval.Tests.LlamaCpp;

public class ModelRecipeTests
{
    private const string Targets = """
        version: 1
        targets:
          tiny-f16:
            provider: llamacpp
            model_path: models/f16.gguf
            build: { synthesize: { seed: 7 } }
          tiny-q4:
            provider: llamacpp
            model_path: models/q4.gguf
            build: { quantize: { from: tiny-f16, type: Q4_0 } }
        """;

    private static EvalConfig Parse(string yaml) => ConfigLoader.Parse("/work/evals.yaml", Encoding.UTF8.GetBytes(yaml));

    [Fact]
    public void Build_recipes_bind_and_a_quantization_knows_its_source()
    {
        var config = Parse(Targets);

        Assert.Equal(7, Assert.IsType<SynthesizeRecipe>(config.Targets["tiny-f16"].Local!.Build).Seed);
        var quantize = Assert.IsType<QuantizeRecipe>(config.Targets["tiny-q4"].Local!.Build);
        Assert.Equal("q4_0", quantize.FileType);
        Assert.Equal(config.Targets["tiny-f16"].Local, quantize.Source);
        Assert.Equal("/work/models/f16.gguf", quantize.Source!.ModelPath);
    }

    [Theory]
    [InlineData("build: { quantize: { from: tiny-f16, type: q3_0 } }", "q3_0")]
    [InlineData("build: { quantize: { from: tiny-f17, type: q4_0 } }", "tiny-f17")]
    [InlineData("build: { quantize: { from: tiny-q4, type: q4_0 } }", "loop")]
    [InlineData("build: { synthesize: { seed: 1 }, quantize: { from: tiny-f16, type: q4_0 } }", "one way")]
    [InlineData("build: { download: { url: x } }", "download")]
    public void A_bad_recipe_names_its_place(string build, string mentioned)
    {
        var yaml = Targets.Replace("build: { quantize: { from: tiny-f16, type: Q4_0 } }", build, StringComparison.Ordinal);

        var error = Assert.Throws<ConfigException>(() => Parse(yaml));

        Assert.Contains(mentioned, error.Message, StringComparison.Ordinal);
        Assert.Contains("evals.yaml:10:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_remote_target_cannot_have_a_recipe()
    {
        var yaml = Targets + "\n  remote:\n    provider: openai\n    model: m\n    build: { synthesize: { seed: 1 } }\n";

        Assert.Contains("`build` applies only to provider llamacpp", Assert.Throws<ConfigException>(() => Parse(yaml)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_quantization_name_is_one_llama_cpp_knows()
    {
        var known = Enum.GetNames<LlamaFileType>().Select(n => n.ToLowerInvariant()).ToHashSet();

        Assert.All(QuantizeRecipe.FileTypes, name => Assert.Contains(name, known));
    }

    [Fact]
    public void Missing_files_are_built_once_sources_first_with_the_same_bytes_every_time()
    {
        var first = Directory.CreateTempSubdirectory("basedeval-recipe-").FullName;
        var second = Directory.CreateTempSubdirectory("basedeval-recipe-").FullName;
        try
        {
            SyntheticModels.Recipe(Path.Combine(first, "models"), out _, out var q4);
            SyntheticModels.Recipe(Path.Combine(second, "models"), out _, out var q4Again);
            using var log = new StringWriter();

            var built = ModelFileBuilder.EnsureBuilt(q4, log);
            var rebuilt = ModelFileBuilder.EnsureBuilt(q4, log);

            Assert.Equal([Path.Combine(first, "models", "tiny-f16.gguf"), q4.ModelPath], built);
            Assert.Empty(rebuilt);
            var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, lines.Length);
            Assert.Contains("synthesized with seed 7", lines[0], StringComparison.Ordinal);
            Assert.Contains("quantized to q4_0 from tiny-f16.gguf", lines[1], StringComparison.Ordinal);
            Assert.Equal(["tiny-f16.gguf", "tiny-q4_0.gguf"], Directory.GetFiles(Path.Combine(first, "models")).Select(Path.GetFileName).Order());

            ModelFileBuilder.EnsureBuilt(q4Again, TextWriter.Null);
            Assert.Equal(Sha256(q4.ModelPath), Sha256(q4Again.ModelPath));
            Assert.Equal(Sha256(SyntheticModels.Q4), Sha256(q4.ModelPath));
        }
        finally
        {
            Cleanup.DeleteFolder(first);
            Cleanup.DeleteFolder(second);
        }
    }

    [Fact]
    public void A_missing_file_without_a_recipe_is_an_error_naming_it()
    {
        var missing = new LocalModelConfig(Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}.gguf"), 0, 512, 1, 512, 1);

        var error = Assert.Throws<LlamaException>(() => ModelFileBuilder.EnsureBuilt(missing, TextWriter.Null));

        Assert.Contains(missing.ModelPath, error.Message, StringComparison.Ordinal);
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
