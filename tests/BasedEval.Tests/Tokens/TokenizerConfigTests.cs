using BasedEval.Core.Config;
using BasedEval.Core.Tokens;
using BasedEval.Tests.EndToEnd;
using BasedEval.Tests.Workload;

namespace BasedEval.Tests.Tokens;

/// <summary>`tokenizer:` and `context:` in evals.yaml: defaults per provider and model family, and every mistake as exit 2 with its place and fix.</summary>
public sealed class TokenizerConfigTests : IDisposable
{
    private readonly WorkloadFiles _files = new();

    public void Dispose() => _files.Dispose();

    private string Config(string targetLines) => _files.Write("evals.yaml", $"""
        version: 1
        targets:
          t:
        {targetLines}
        """);

    [Theory]
    [InlineData("openai", "gpt-4o-2024-08-06", "o200k_base", 128_000)]
    [InlineData("openai", "gpt-4.1-mini", "o200k_base", 1_047_576)]
    [InlineData("openai", "o3-mini", "o200k_base", 200_000)]
    [InlineData("openai", "gpt-5", "o200k_base", 400_000)]
    [InlineData("openai", "openai/gpt-4", "cl100k_base", 8_192)]
    [InlineData("openai", "gpt-3.5-turbo", "cl100k_base", 16_385)]
    [InlineData("anthropic", "claude-sonnet-4-5", "cl100k_base", 200_000)]
    [InlineData("openai", "Qwen/Qwen2.5-7B-Instruct", "estimate", null)]
    public void Each_provider_and_model_family_has_its_default(string provider, string model, string tokenizer, int? context)
    {
        var target = ConfigLoader.Load(Config($"    provider: {provider}\n    model: {model}")).Targets["t"];

        Assert.Equal(tokenizer, target.Tokenizer.Name);
        Assert.Equal(context, target.ContextWindow);
        Assert.Equal(provider == "anthropic", target.Tokenizer.Note?.Contains("approximation", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Tokenizer_files_are_found_by_folder_file_or_pair_relative_to_evals_yaml()
    {
        var llama = SharedData.Require("tokenizers/llama3.2_bpe");
        var smol = SharedData.Require("tokenizers/smollm2/tokenizer.json");
        string Name(string value) => ConfigLoader.Load(Config($"    provider: openai\n    model: m\n    tokenizer: {value}")).Targets["t"].Tokenizer.Name;

        Assert.Equal("bpe:llama3.2_bpe", Name(llama));
        Assert.Equal("bpe:llama3.2_bpe", Name($"{{ encoder: {llama}/encoder.json, merges: {llama}/vocab.bpe }}"));
        Assert.Equal("tokenizer.json:smollm2", Name(Path.GetRelativePath(_files.Root, smol)));
        Assert.Equal("tokenizer.json:smollm2", Name(Path.GetDirectoryName(smol)!));
        Assert.Equal("cl100k_base", Name("cl100k_base"));
    }

    [Theory]
    [InlineData("provider: openai\n    model: m\n    tokenizer: o200k_bse", "`tokenizer` of target `t` is `o200k_bse`, which is not a known tokenizer", "did you mean `o200k_base`?")]
    [InlineData("provider: openai\n    model: m\n    tokenizer: tok/tokenizer.json", "which does not exist", "use one of: o200k_base")]
    [InlineData("provider: openai\n    model: m\n    tokenizer: gguf", "reads a local model's vocabulary", "name the remote model's tokenizer")]
    [InlineData("provider: openai\n    model: m\n    tokenizer: { merges: vocab.bpe }", "missing the required key `encoder`", "encoder.json")]
    [InlineData("provider: llamacpp\n    model_path: m.gguf\n    context: 8192", "`context_size` is its context window", "write the window as `context_size:`")]
    [InlineData("provider: openai\n    model: m\n    context: 8", "`context` of target `t`", "")]
    public async Task Tokenizer_mistakes_exit_2_naming_evals_yaml_the_target_and_the_fix(string targetLines, string problem, string fix)
    {
        var path = Config("    " + targetLines);

        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));
        var result = await CliRunner.RunAsync(_files.Root, "run", "--config", path, "--target", "t");

        Assert.Equal(path, error.File);
        Assert.True(error.Line >= 4, error.Message);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains(fix, error.Fix, StringComparison.Ordinal);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(problem, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_tokenizer_file_is_a_config_error_naming_the_target_when_it_is_first_needed()
    {
        var broken = _files.Write("tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": ");
        var target = ConfigLoader.Load(Config($"    provider: openai\n    model: m\n    tokenizer: {broken}")).Targets["t"];

        var error = Assert.Throws<ConfigException>(() => TokenCounters.For(target));

        Assert.Contains("target `t` cannot load its tokenizer tokenizer.json:", error.Message, StringComparison.Ordinal);
        Assert.Contains("evals.yaml:4:", error.Message, StringComparison.Ordinal);
    }
}
