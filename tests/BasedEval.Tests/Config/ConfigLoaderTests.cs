using System.Text;
using BasedEval.Core.Config;
using FsCheck;
using FsCheck.Fluent;

namespace BasedEval.Tests.Config;

public class ConfigLoaderTests
{
    private const string Valid = """
        version: 1
        targets:
          gpt-a:
            provider: openai
            model: gpt-4o-mini
            base_url: http://127.0.0.1:9/v1
            api_key_env: OPENAI_API_KEY
            prices: { input: 0.15, cached_input: 0.075, output: 0.6 }
            max_concurrency: 4
            timeout_s: 30
            sampling: { temperature: 0, max_tokens: 512, seed: 3 }
          local:
            provider: llamacpp
            model_path: models/tiny.gguf
            gpu_layers: all
            context_size: 2048
        suites:
          mmlu:
            format: mmlu
            path: suites/mmlu-sample
            limit: 20
        comparisons:
          swap:
            baseline: gpt-a
            candidate: local
            suites: [mmlu]
            gates:
              quality: { margin: 1.5, confidence: 0.9 }
              latency:
                - { metric: ttft, percentile: 95, max_ratio: 1.2 }
              cost: { max_ratio: 0.5 }
        """;

    private static EvalConfig Parse(string yaml) => ConfigLoader.Parse("/work/evals.yaml", Encoding.UTF8.GetBytes(yaml));

    private static ConfigException Invalid(string yaml) => Assert.Throws<ConfigException>(() => Parse(yaml));

    [Fact]
    public void A_complete_file_binds_every_field()
    {
        var config = Parse(Valid);

        var target = config.Targets["gpt-a"];
        Assert.Equal(ProviderKind.OpenAi, target.Provider);
        Assert.Equal(new Prices(0.15, 0.075, 0.6), target.Prices);
        Assert.Equal(4, target.MaxConcurrency);
        Assert.Equal(TimeSpan.FromSeconds(30), target.Timeout);
        Assert.Equal(new SamplingConfig(0, null, 512, 3), target.Sampling);
        Assert.Equal("OPENAI_API_KEY", target.ApiKeyEnv);
        var local = config.Targets["local"].Local!;
        Assert.Equal(-1, local.GpuLayers);
        Assert.Equal("/work/models/tiny.gguf", local.ModelPath);
        Assert.Equal("/work/suites/mmlu-sample", config.Suites["mmlu"].Path);
        Assert.Equal(20, config.Suites["mmlu"].Limit);
        var gates = config.Comparisons["swap"].Gates;
        Assert.Equal(new QualityGateConfig(1.5, 0.9, false), gates.Quality);
        Assert.Equal(new LatencyGateConfig(LatencyMetric.Ttft, 95, 1.2), Assert.Single(gates.Latency));
        Assert.Equal(0.5, gates.Cost!.MaxRatio);
        Assert.Equal("/work/.basedeval/results.db", config.StorePath);
        Assert.Equal(64, config.ConfigHash.Length);
    }

    [Fact]
    public void An_unknown_key_is_named_with_its_line_column_and_the_nearest_allowed_key()
    {
        var e = Invalid(Valid.Replace("max_concurrency: 4", "max_concurency: 4", StringComparison.Ordinal));

        Assert.Equal(9, e.Line);
        Assert.Equal(5, e.Column);
        Assert.Contains("unknown key `max_concurency`", e.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean `max_concurrency`", e.Fix, StringComparison.Ordinal);
        Assert.StartsWith("/work/evals.yaml:9:5:", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("max_concurrency: 4", "max_concurrency: many", "must be a whole number")]
    [InlineData("timeout_s: 30", "timeout_s: [30]", "must be a single value")]
    [InlineData("provider: openai", "provider: opnai", "did you mean `openai`")]
    [InlineData("cost: { max_ratio: 0.5 }", "cost: { max_ratio: -1 }", "outside the allowed range")]
    [InlineData("base_url: http://127.0.0.1:9/v1", "base_url: localhost:9", "not an http(s) URL")]
    [InlineData("candidate: local", "candidate: locl", "did you mean `local`")]
    [InlineData("suites: [mmlu]", "suites: [mmlu, gpqa]", "suite `gpqa`, which is not defined")]
    [InlineData("gpu_layers: all", "gpu_layers: most", "`gpu_layers`")]
    [InlineData("version: 1", "version: 2", "schema version 2")]
    [InlineData("api_key_env: OPENAI_API_KEY", "api_key_env: sk-abc123", "looks like a secret")]
    public void A_wrong_value_is_an_error_that_names_place_and_fix(string original, string broken, string expected)
    {
        var e = Invalid(Valid.Replace(original, broken, StringComparison.Ordinal));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.True(e.Line > 0);
        Assert.False(string.IsNullOrWhiteSpace(e.Fix));
        Assert.DoesNotContain("sk-abc123", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_required_field_names_the_entry_and_what_to_add()
    {
        var e = Invalid(Valid.Replace("    model: gpt-4o-mini\n", "", StringComparison.Ordinal));

        Assert.Contains("target `gpt-a` is missing the required key `model`", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, e.Line);
    }

    [Fact]
    public void Broken_yaml_syntax_reports_the_parser_position()
    {
        var e = Invalid("version: 1\ntargets:\n  a: [unclosed\n");

        Assert.Contains("not valid YAML", e.Message, StringComparison.Ordinal);
        Assert.True(e.Line >= 3);
    }

    [Fact]
    public void Local_only_keys_on_a_remote_target_are_rejected()
    {
        var e = Invalid(Valid.Replace("timeout_s: 30", "timeout_s: 30\n    gpu_layers: 10", StringComparison.Ordinal));

        Assert.Contains("applies only to provider llamacpp", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_grammar_switch_of_a_local_target_defaults_on_and_must_be_a_boolean()
    {
        Assert.True(Parse(Valid).Targets["local"].Local!.ConstrainStructuredOutput);
        Assert.False(Parse(Valid.Replace("context_size: 2048", "context_size: 2048\n    grammar: false", StringComparison.Ordinal)).Targets["local"].Local!.ConstrainStructuredOutput);

        var e = Invalid(Valid.Replace("context_size: 2048", "context_size: 2048\n    grammar: sometimes", StringComparison.Ordinal));

        Assert.Contains("`grammar` of target `local`", e.Message, StringComparison.Ordinal);
        Assert.Equal(17, e.Line);
    }

    [Fact]
    public void Arbitrary_text_never_escapes_as_anything_but_a_config_error()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), text =>
        {
            try
            {
                Parse(text ?? string.Empty);
            }
            catch (ConfigException)
            {
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Mutations_of_a_valid_file_never_escape_as_anything_but_a_config_error()
    {
        var gen = from position in Gen.Choose(0, Valid.Length - 1)
                  from length in Gen.Choose(0, 12)
                  from insert in Gen.Elements("", ":", " ", "\n", "- ", "[", "{", "\"", "'", "&a", "*a", "!!int", "\t", "~", "null", "99999999999")
                  select (position, length, insert);
        Prop.ForAll(gen.ToArbitrary(), m =>
        {
            var length = Math.Min(m.length, Valid.Length - m.position);
            var mutated = Valid.Remove(m.position, length).Insert(m.position, m.insert);
            try
            {
                Parse(mutated);
            }
            catch (ConfigException)
            {
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_model_path_that_names_a_folder_is_refused_with_the_model_file_inside_it()
    {
        var root = Directory.CreateTempSubdirectory("basedeval-config-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "models"));
            File.WriteAllBytes(Path.Combine(root, "models", "tiny.gguf"), [0x47, 0x47, 0x55, 0x46]);
            var config = Path.Combine(root, "evals.yaml");
            File.WriteAllText(config, Valid.Replace("model_path: models/tiny.gguf", "model_path: models", StringComparison.Ordinal));

            var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(config));

            Assert.Contains("`model_path` of target `local` is the folder", e.Message, StringComparison.Ordinal);
            Assert.Equal((config, 14), (e.File, e.Line));
            Assert.Contains($"`{Path.Combine("models", "tiny.gguf")}`", e.Fix, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
