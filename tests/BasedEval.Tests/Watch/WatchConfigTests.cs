using System.Text;
using System.Text.RegularExpressions;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Watch;
using BasedEval.TestServer;
using FsCheck;
using FsCheck.Fluent;

namespace BasedEval.Tests.Watch;

/// <summary>The `watch:` section, the listing of each kind of source, and the watch's exit code.</summary>
public class WatchConfigTests
{
    private const string Head = """
        version: 1
        targets:
          prod:
            provider: openai
            model: gpt-4o
            base_url: http://127.0.0.1:9/v1
            prices: { input: 2.5, output: 10 }
          old: { provider: openai, model: gpt-4, base_url: "http://127.0.0.1:9/v1" }
        suites:
          mmlu:
            format: mmlu
            path: suites/mmlu-sample
        comparisons:
          swap: { baseline: prod, candidate: old, suites: [mmlu], gates: { quality: { margin: 3 } } }

        """;

    private const string Valid = Head + """
        watch:
          production: prod
          suites: [mmlu]
          limit: 50
          sources:
            vendor:
              kind: openai
              base_url: https://api.vendor.example/v1
              api_key_env: VENDOR_KEY
              include: ["gpt-*", "o?-mini"]
              exclude: ["*-preview"]
              target:
                prices: { input: 1, output: 4 }
                max_concurrency: 4
                sampling: { temperature: 0, max_tokens: 256 }
            claude:
              kind: anthropic
              api_key_env: ANTHROPIC_API_KEY
            local:
              kind: gguf_folder
              folder: models/releases
              target: { context_size: 4096, gpu_hour_usd: 2.5 }
        """;

    private static EvalConfig Parse(string yaml) => ConfigLoader.Parse("/work/evals.yaml", Encoding.UTF8.GetBytes(yaml));

    [Fact]
    public void A_watch_section_binds_its_sources_and_fills_each_template_with_a_listed_id()
    {
        var watch = Parse(Valid).Watch!;

        Assert.Equal(("prod", 50), (watch.Production, watch.Limit));
        Assert.Equal(["mmlu"], watch.Suites);
        var vendor = watch.Sources["vendor"];
        var target = vendor.TargetFor("gpt-5");
        Assert.Equal(("vendor/gpt-5", ProviderKind.OpenAi, "gpt-5", "https://api.vendor.example/v1", "VENDOR_KEY"), (target.Name, target.Provider, target.Model, target.BaseUrl, target.ApiKeyEnv));
        Assert.Equal((4, 256), (target.MaxConcurrency, target.Sampling.MaxTokens));
        Assert.Equal(new Prices(1, 1, 4), target.Prices);

        var claude = watch.Sources["claude"].TargetFor("claude-opus-5");
        Assert.Equal((ProviderKind.Anthropic, "https://api.anthropic.com", "ANTHROPIC_API_KEY"), (claude.Provider, claude.BaseUrl, claude.ApiKeyEnv));

        var local = watch.Sources["local"];
        Assert.Equal("/work/models/releases", local.Address);
        var gguf = local.TargetFor("qwen3-8b-q4_k_m.gguf");
        Assert.Equal((ProviderKind.LlamaCpp, "/work/models/releases/qwen3-8b-q4_k_m.gguf", 4096), (gguf.Provider, gguf.Local!.ModelPath, gguf.Local.ContextSize));
        Assert.Equal(2.5, gguf.Gpu!.GpuHourUsd);
    }

    [Fact]
    public void Include_and_exclude_globs_select_ids()
    {
        var vendor = Parse(Valid).Watch!.Sources["vendor"];

        Assert.True(vendor.Selects("gpt-5"));
        Assert.True(vendor.Selects("o4-mini"));
        Assert.False(vendor.Selects("gpt-5-preview"));
        Assert.False(vendor.Selects("o4-mini-high"));
        Assert.False(vendor.Selects("text-embedding-3"));
    }

    [Fact]
    public void Named_comparison_gives_the_watch_its_suites_gates_and_production()
    {
        var watch = Parse(Head + """
            watch:
              comparison: swap
              sources: { vendor: { kind: openai, base_url: "http://127.0.0.1:9/v1" } }
            """).Watch!;

        Assert.Equal("prod", watch.Production);
        Assert.Equal(3, watch.Gates.Quality!.MarginPoints);
    }

    [Theory]
    [InlineData("watch:\n  suites: [mmlu]\n  sources: { v: { kind: openai } }", 16, "names no production target")]
    [InlineData("watch:\n  production: prd\n  suites: [mmlu]\n  sources: { v: { kind: openai } }", 16, "did you mean `prod`?")]
    [InlineData("watch:\n  production: prod\n  suites: [mlu]\n  sources: { v: { kind: openai } }", 17, "did you mean `mmlu`?")]
    [InlineData("watch:\n  production: prod\n  suites: [mmlu]\n  sources: { v: { kind: huggingface } }", 18, "`kind` of source `v`")]
    [InlineData("watch:\n  production: prod\n  suites: [mmlu]\n  sources: { v: { kind: openai, target: { model: x } } }", 18, "filled from the listing")]
    [InlineData("watch:\n  production: prod\n  suites: [mmlu]\n  sources: { v: { kind: openai, api_key_env: sk-abc123 } }", 18, "looks like a secret")]
    [InlineData("watch:\n  production: prod\n  suites: [mmlu]\n  sources: { v: { kind: gguf_folder, base_url: \"http://x\" } }", 18, "does not apply to a gguf_folder")]
    [InlineData("watch:\n  production: prod\n  suites: [mmlu]\n  sources: { v: { kind: openai, target: { max_concurrency: 0 } } }", 18, "max_concurrency")]
    [InlineData("watch:\n  comparison: swap\n  suites: [mmlu]\n  sources: { v: { kind: openai } }", 17, "also gives `suites`")]
    [InlineData("watch:\n  production: prod\n  suites: [mmlu]\n  sources: {}", 18, "lists no source")]
    public void A_mistake_in_the_watch_section_names_its_line_and_the_fix(string section, int line, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => Parse(Head + section));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(line, e.Line);
    }

    [Fact]
    public void Glob_matches_as_a_regular_expression_of_the_same_pattern_does()
    {
        var alphabet = Gen.Elements('a', 'b', '-', '*', '?');
        var pattern = Gen.Choose(0, 6).SelectMany(n => Gen.ArrayOf(alphabet, n)).Select(c => new string(c));
        var text = Gen.Choose(0, 8).SelectMany(n => Gen.ArrayOf(Gen.Elements('a', 'b', '-'), n)).Select(c => new string(c));
        Prop.ForAll(pattern.ToArbitrary(), text.ToArbitrary(), (p, t) =>
        {
            var regex = "^" + string.Concat(p.Select(ch => ch switch { '*' => ".*", '?' => ".", _ => Regex.Escape(ch.ToString()) })) + "$";
            return Glob.Matches(p, t) == Regex.IsMatch(t, regex, RegexOptions.Singleline);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public async Task Watch_lists_anthropic_page_by_page_with_its_version_header()
    {
        var models = Enumerable.Range(1, 5).ToDictionary(i => $"claude-{i}", _ => new ModelScript(), StringComparer.Ordinal);
        await using var server = await TestLlmServer.StartAsync(new ServerScript { Models = models }, TestContext.Current.CancellationToken);
        var config = Parse(Head + $"watch:\n  production: prod\n  suites: [mmlu]\n  sources: {{ claude: {{ kind: anthropic, base_url: \"{server.BaseUrl}\" }} }}");
        using var http = new HttpClient();

        var ids = await new ReleaseSources(http, anthropicPageSize: 2).ListAsync(config.Watch!.Sources["claude"], TestContext.Current.CancellationToken);

        Assert.Equal(models.Keys.Order(StringComparer.Ordinal), ids);
    }

    [Fact]
    public async Task Watch_source_whose_key_variable_is_unset_fails_alone_naming_the_variable()
    {
        var config = Parse(Head + "watch:\n  production: prod\n  suites: [mmlu]\n  sources: { v: { kind: openai, base_url: \"http://127.0.0.1:9/v1\", api_key_env: BASEDEVAL_TEST_UNSET_KEY } }");
        using var http = new HttpClient();

        var e = await Assert.ThrowsAsync<ReleaseSourceException>(() => new ReleaseSources(http).ListAsync(config.Watch!.Sources["v"], TestContext.Current.CancellationToken));

        Assert.Contains("BASEDEVAL_TEST_UNSET_KEY, which is not set", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "PASS", "FAIL", "INCONCLUSIVE" }, false, ExitCodes.Fail)]
    [InlineData(new[] { "PASS", "INCONCLUSIVE" }, true, ExitCodes.RunError)]
    [InlineData(new[] { "PASS", "INCONCLUSIVE" }, false, ExitCodes.Inconclusive)]
    [InlineData(new[] { "PASS", "PASS" }, false, ExitCodes.Pass)]
    [InlineData(new string[0], false, ExitCodes.Pass)]
    [InlineData(new string[0], true, ExitCodes.RunError)]
    public void Watch_exit_code_puts_FAIL_before_an_outage_before_INCONCLUSIVE(string[] verdicts, bool sourceFailed, int expected)
    {
        var models = verdicts.Select(v => Enum.Parse<Decision>(v, ignoreCase: true))
            .Select(d => new WatchedModelResult("s", d.ToString(), "s/" + d, d, ExitCodes.For(d), true, "cmp", [], []))
            .ToList();
        var sources = new List<SourceListing> { new("s", 1, 1, false, [], [], [], sourceFailed ? "down" : null) };

        Assert.Equal(expected, new WatchOutcome(DateTimeOffset.UtcNow, false, sources, models).ExitCode);
    }
}
