using System.Xml.Linq;
using BasedEval.Core.Storage;
using BasedEval.TestServer;

namespace BasedEval.Tests.EndToEnd;

/// <summary>`basedeval run` on its own: the absolute accuracy gate, sending past the cache, and a run where nothing succeeded.</summary>
public class SingleRunTests
{
    /// <summary>A second target on gpt-a's endpoint and model: its requests hash the same, so the store already holds its answers.</summary>
    private const string SameEndpointTarget = """
          gpt-a-again:
            provider: openai
            model: gpt-a
            base_url: BASE_URL
            max_concurrency: 16
            timeout_s: 10
            max_retries: 0
        """;

    [Theory]
    [InlineData("0.3", 0, "PASS", "")]
    [InlineData("70%", 1, "FAIL", "failure")]
    [InlineData("0.5", 3, "INCONCLUSIVE", "skipped")]
    public async Task Min_accuracy_gates_a_run_on_its_interval_with_compare_s_exit_codes_and_junit(string minimum, int exitCode, string decision, string junitElement)
    {
        using var ws = new ScriptedWorkspace(150, i => i % 2 == 0, i => true);
        await using var server = await TestLlmServer.StartAsync(new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, 1) } }, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 2 }");

        var result = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "gpt-a", "--min-accuracy", minimum);

        Assert.True(result.ExitCode == exitCode, result.Output + result.Error);
        Assert.Contains($"gate min_accuracy: {decision} (exit {exitCode})", result.Output, StringComparison.Ordinal);
        Assert.Contains("accuracy 50.0% [", result.Output, StringComparison.Ordinal);
        var junit = XDocument.Load(Directory.GetFiles(ws.ReportsPath, "junit.xml", SearchOption.AllDirectories).Single());
        var gate = junit.Descendants("testcase").Single(t => (string?)t.Attribute("name") == "min_accuracy");
        Assert.Equal(junitElement == "" ? 0 : 1, gate.Elements().Count(e => e.Name.LocalName is "failure" or "skipped"));
        if (junitElement != "")
        {
            Assert.Single(gate.Elements(junitElement));
        }

        Assert.Equal(decision, junit.Descendants("property").Single(p => (string?)p.Attribute("name") == "verdict").Attribute("value")!.Value);
        Assert.Contains("threshold: lower bound at or above", gate.Element("system-out")!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_minimum_given_as_percent_without_its_sign_is_refused_before_anything_is_sent()
    {
        using var ws = new ScriptedWorkspace(20, i => true, i => true);
        await using var server = await TestLlmServer.StartAsync(new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, 1) } }, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 2 }");

        var result = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "gpt-a", "--min-accuracy", "70");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--min-accuracy is 70", result.Error, StringComparison.Ordinal);
        Assert.Contains("`0.7` or `70%`", result.Error, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task No_cache_sends_every_request_a_target_on_the_same_endpoint_would_take_from_the_store()
    {
        using var ws = new ScriptedWorkspace(60, i => i % 3 == 0, i => true);
        await using var server = await TestLlmServer.StartAsync(new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, 1) } }, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 2 }", extraTarget: SameEndpointTarget.Replace("BASE_URL", $"{server.BaseUrl}v1", StringComparison.Ordinal));

        var first = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "gpt-a");
        var shared = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "gpt-a-again");
        var afterShared = server.RequestCount("gpt-a");
        var bypassed = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "gpt-a-again", "--no-cache");

        Assert.True(first.ExitCode == 0 && shared.ExitCode == 0 && bypassed.ExitCode == 0, first.Error + shared.Error + bypassed.Error);
        Assert.Equal(60, afterShared);
        Assert.Contains("60 from cache", shared.Output, StringComparison.Ordinal);
        Assert.Equal(120, server.RequestCount("gpt-a"));
        Assert.Contains("60 succeeded, 0 failed, 0 from cache", bypassed.Output, StringComparison.Ordinal);

        await using var store = await SqliteResultStore.OpenAsync(ws.StorePath, TestContext.Current.CancellationToken);
        var runs = await store.ListRunsAsync(TestContext.Current.CancellationToken);
        var bypassedSamples = await store.GetSamplesAsync(runs.OrderBy(r => r.CreatedUtc).Last().Id, TestContext.Current.CancellationToken);
        Assert.Equal(60, bypassedSamples.Count);
        Assert.All(bypassedSamples, s => Assert.False(s.FromCache));
        Assert.Equal(20, bypassedSamples.Count(s => s.Score is { IsCorrect: true }));
    }

    [Fact]
    public async Task A_run_in_which_nothing_succeeded_says_so_instead_of_printing_nan()
    {
        using var ws = new ScriptedWorkspace(12, i => true, i => true);
        var refusing = ws.Model(ws.BaselineRight, 1, faults: [new FaultRule { Kind = FaultKind.ServerError, StatusCode = 400, Fraction = 1, Attempts = 100 }]);
        await using var server = await TestLlmServer.StartAsync(new ServerScript { Models = { ["gpt-a"] = refusing } }, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 2 }");

        var result = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "gpt-a", "--min-accuracy", "0.5");

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("no successful samples: 12 of 12 failed, so accuracy, latency and cost cannot be measured", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", result.Output + result.Error, StringComparison.Ordinal);
        Assert.Contains("gate min_accuracy: INCONCLUSIVE (exit 4)", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--margin 0.02", 2, "write `2` (or `2pt`) for 2 points")]
    [InlineData("--baseline-accuracy 80", 2, "write `0.8` or `80%`")]
    [InlineData("--confidence 95", 2, "write `0.95` or `95%`")]
    [InlineData("--power 1", 2, "strictly between 0 and 1")]
    [InlineData("--expected-difference -3", 2, "change --expected-difference")]
    public async Task Plan_refuses_a_value_in_the_other_unit_with_exit_2_and_the_fix(string arguments, int exitCode, string fix)
    {
        var args = new List<string> { "plan" };
        args.AddRange(arguments.Split(' '));
        if (!arguments.StartsWith("--baseline-accuracy", StringComparison.Ordinal))
            args.AddRange(["--baseline-accuracy", "0.8"]);
        var result = await CliRunner.RunAsync(Path.GetTempPath(), [.. args]);

        Assert.Equal(exitCode, result.ExitCode);
        Assert.Contains(fix, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_reads_a_margin_the_same_bare_as_points_or_percent()
    {
        var outputs = new List<string>();
        foreach (var (accuracy, margin) in new[] { ("0.8", "2"), ("80%", "2pt"), ("0.8", "2%") })
        {
            var result = await CliRunner.RunAsync(Path.GetTempPath(), "plan", "--baseline-accuracy", accuracy, "--margin", margin);
            Assert.Equal(0, result.ExitCode);
            outputs.Add(result.Output);
        }

        Assert.Single(outputs.Distinct(StringComparer.Ordinal));
        Assert.StartsWith("3148 paired items", outputs[0], StringComparison.Ordinal);
    }
}
