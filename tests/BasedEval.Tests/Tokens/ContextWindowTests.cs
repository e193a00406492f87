using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using BasedEval.Core.Storage;
using BasedEval.Core.Tokens;
using BasedEval.Tests.EndToEnd;
using BasedEval.TestServer;

namespace BasedEval.Tests.Tokens;

/// <summary>The context-window check before a run: items that do not fit are named with their overflow, and the run is refused.</summary>
public sealed partial class ContextWindowTests
{
    private const string Targets = """
          tight:
            provider: openai
            model: gpt-4o
            base_url: BASE_URL
            context: 40
            sampling: { max_tokens: 16 }
          roomy:
            provider: openai
            model: gpt-4o
            base_url: BASE_URL
            sampling: { max_tokens: 16 }
        """;

    [Fact]
    public async Task Items_over_the_context_window_are_named_with_their_overflow_and_the_run_is_refused_before_anything_is_sent()
    {
        using var ws = new ScriptedWorkspace(12, _ => true, _ => true, subjects: 3);
        await using var server = await TestLlmServer.StartAsync(new ServerScript { Models = { ["gpt-4o"] = ws.Model(ws.BaselineRight, 1) } }, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 2 }", extraTarget: Targets.Replace("BASE_URL", $"{server.BaseUrl}v1", StringComparison.Ordinal));

        var refused = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "tight");
        Assert.Equal(0, server.RequestCount("gpt-4o"));
        var fitting = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "roomy");

        Assert.Equal(2, refused.ExitCode);
        Assert.True(fitting.ExitCode == 0, fitting.Output + fitting.Error);
        Assert.Contains("do not fit the 40-token context window of target `tight` (counted with o200k_base)", refused.Error, StringComparison.Ordinal);
        Assert.Contains("nothing is cut silently", refused.Error, StringComparison.Ordinal);

        // Each listed overflow is the item's prompt in o200k tokens plus max_tokens, less the window.
        await using var store = await SqliteResultStore.OpenAsync(ws.StorePath, TestContext.Current.CancellationToken);
        var run = Assert.Single(await store.ListRunsAsync(TestContext.Current.CancellationToken));
        Assert.Equal("roomy", run.TargetName);
        var o200k = TokenCounters.Library(new TokenizerSpec(TokenizerKind.Tiktoken, "o200k_base", []));
        var prompts = (await store.GetSamplesAsync(run.Id, TestContext.Current.CancellationToken)).ToDictionary(
            s => s.ItemId,
            s => JsonDocument.Parse(s.RequestJson).RootElement.GetProperty("messages").EnumerateArray().Sum(m => o200k.CountTokens(m.GetProperty("content").GetString()!)));
        var listed = Overflow().Matches(refused.Error);
        Assert.NotEmpty(listed);
        foreach (Match m in listed)
        {
            var prompt = int.Parse(m.Groups["prompt"].Value, CultureInfo.InvariantCulture);
            Assert.Equal(prompts[m.Groups["item"].Value], prompt);
            Assert.Equal(prompt + 16 - 40, int.Parse(m.Groups["over"].Value, CultureInfo.InvariantCulture));
        }

        var refusedCount = int.Parse(Refused().Match(refused.Error).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(prompts.Values.Count(p => p + 16 > 40), refusedCount);
    }

    [GeneratedRegex(@"mmlu/(?<item>[^:;]+): (?<prompt>\d+) prompt \+ 16 max_tokens = (?<over>\d+) over")]
    private static partial Regex Overflow();

    [GeneratedRegex(@"(\d+) planned request\(s\) do not fit")]
    private static partial Regex Refused();
}
