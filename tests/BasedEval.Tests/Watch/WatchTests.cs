using System.Text.Json;
using BasedEval.Core.Gating;
using BasedEval.Core.Storage;
using BasedEval.Tests.EndToEnd;
using BasedEval.Tests.Reliability;
using BasedEval.TestServer;

namespace BasedEval.Tests.Watch;

/// <summary>
/// `basedeval watch` end to end against a loopback host whose /v1/models gains and loses models between calls, with the
/// real store: the first listing is recorded, a release is compared with production exactly once, and nothing runs twice.
/// </summary>
public class WatchTests
{
    private const int Items = 120;

    [Fact]
    public async Task Watch_records_the_first_listing_runs_exactly_the_new_model_with_its_verdict_then_does_nothing()
    {
        using var ws = new WatchWorkspace(Items);
        await using var server = await TestLlmServer.StartAsync(WatchWorkspace.Script(("prod", ws.Right()), ("old-1", ws.Right())), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, WatchWorkspace.OpenAiSource("vendor", server.BaseUrl));

        var first = await ws.WatchAsync();
        Assert.True(first.ExitCode == ExitCodes.Pass, first.Output + first.Error);
        Assert.Contains("source vendor: 2 listed, 1 selected, 1 recorded (old-1)", first.Output, StringComparison.Ordinal);
        Assert.Contains("nothing new to evaluate", first.Output, StringComparison.Ordinal);
        Assert.Empty(server.Requests);

        // A release that answers 30 % of the items wrong: its verdict is FAIL, and so is the watch's exit code.
        server.AddModel("new-2", ws.RightOn(0.7));
        var second = await ws.WatchAsync();
        Assert.True(second.ExitCode == ExitCodes.Fail, second.Output + second.Error);
        Assert.Equal(Items, server.RequestCount("new-2"));
        Assert.Equal(Items, server.RequestCount("prod"));
        Assert.Equal(0, server.RequestCount("old-1"));
        var line = Assert.Single(second.Output.Split('\n'), l => l.StartsWith("vendor/new-2  ", StringComparison.Ordinal));
        Assert.Matches(@"^vendor/new-2  FAIL  reports/cmp-[^ ]+/report\.html$", line.TrimEnd());
        Assert.True(File.Exists(Path.Combine(ws.Root, line.Split("  ")[2].TrimEnd())));

        var notified = ws.Notification();
        Assert.Equal("basedeval.watch", notified.GetProperty("schema").GetString());
        Assert.Equal(ExitCodes.Fail, notified.GetProperty("exit_code").GetInt32());
        var model = Assert.Single(notified.GetProperty("models").EnumerateArray());
        Assert.Equal("new-2", model.GetProperty("model_id").GetString());
        Assert.Equal("FAIL", model.GetProperty("verdict").GetString());
        Assert.True(model.GetProperty("finished").GetBoolean());
        Assert.True(File.Exists(model.GetProperty("summary_md").GetString()));
        Assert.True(File.Exists(model.GetProperty("comparison_json").GetString()));

        var requests = server.Requests.Count;
        var third = await ws.WatchAsync();
        Assert.True(third.ExitCode == ExitCodes.Pass, third.Output + third.Error);
        Assert.Contains("nothing new to evaluate", third.Output, StringComparison.Ordinal);
        Assert.Equal(requests, server.Requests.Count);
        Assert.Empty(ws.Notification().GetProperty("models").EnumerateArray());

        await using var store = await SqliteResultStore.OpenAsync(ws.StorePath, TestContext.Current.CancellationToken);
        var source = (await store.GetWatchedSourceAsync("vendor", TestContext.Current.CancellationToken))!;
        Assert.Equal(WatchedStatus.Known, source.Models.Single(m => m.ModelId == "old-1").Status);
        var evaluated = source.Models.Single(m => m.ModelId == "new-2");
        Assert.Equal((WatchedStatus.Evaluated, "FAIL"), (evaluated.Status, evaluated.Verdict));
        Assert.NotNull(await store.GetComparisonAsync(evaluated.ComparisonId!, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Watch_reports_a_model_that_left_the_listing_without_an_error_and_all_evaluates_the_first_listing()
    {
        using var ws = new WatchWorkspace(Items);
        await using var server = await TestLlmServer.StartAsync(WatchWorkspace.Script(("prod", ws.Right()), ("a", ws.Right()), ("b", ws.Right())), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, WatchWorkspace.OpenAiSource("vendor", server.BaseUrl));

        var first = await ws.WatchAsync("--all");
        Assert.True(first.ExitCode == ExitCodes.Pass, first.Output + first.Error);
        Assert.Contains("vendor/a  PASS  ", first.Output, StringComparison.Ordinal);
        Assert.Contains("vendor/b  PASS  ", first.Output, StringComparison.Ordinal);

        server.RemoveModel("b");
        var second = await ws.WatchAsync();
        Assert.True(second.ExitCode == ExitCodes.Pass, second.Output + second.Error);
        Assert.Contains("no longer listed: b", second.Output, StringComparison.Ordinal);
        var listing = Assert.Single(ws.Notification().GetProperty("sources").EnumerateArray());
        Assert.Equal(["b"], listing.GetProperty("disappeared").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Null, listing.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task Watch_names_a_source_that_answers_500_or_garbage_exits_4_and_still_evaluates_the_other_sources()
    {
        using var ws = new WatchWorkspace(Items);
        await using var server = await TestLlmServer.StartAsync(WatchWorkspace.Script(("prod", ws.Right()), ("fresh", ws.Right())), TestContext.Current.CancellationToken);
        await using var down = await TestLlmServer.StartAsync(WatchWorkspace.Script(), TestContext.Current.CancellationToken);
        await using var garbled = await TestLlmServer.StartAsync(WatchWorkspace.Script(), TestContext.Current.CancellationToken);
        down.ModelListOverride = (500, "{\"error\": {\"message\": \"upstream unavailable\"}}");
        garbled.ModelListOverride = (200, "<html>gateway login</html>");
        ws.WriteConfig(server.BaseUrl, string.Join('\n',
            WatchWorkspace.OpenAiSource("down", down.BaseUrl),
            WatchWorkspace.OpenAiSource("garbled", garbled.BaseUrl),
            WatchWorkspace.OpenAiSource("vendor", server.BaseUrl)));

        var result = await ws.WatchAsync("--all");

        Assert.True(result.ExitCode == ExitCodes.RunError, result.Output + result.Error);
        Assert.Contains("source down: could not be listed: source `down`: GET " + down.BaseUrl + "v1/models answered 500", result.Output, StringComparison.Ordinal);
        Assert.Contains("source garbled: could not be listed: source `garbled`: GET " + garbled.BaseUrl + "v1/models answered 200 with a body that is not JSON", result.Output, StringComparison.Ordinal);
        Assert.Contains("vendor/fresh  PASS  ", result.Output, StringComparison.Ordinal);
        Assert.Equal(Items, server.RequestCount("fresh"));
        var errors = ws.Notification().GetProperty("sources").EnumerateArray().ToDictionary(s => s.GetProperty("source").GetString()!, s => s.GetProperty("error").GetString());
        Assert.Contains("answered 500", errors["down"], StringComparison.Ordinal);
        Assert.Null(errors["vendor"]);

        // Once the outage ends, the source's first good listing is its first listing: recorded, not run.
        down.ModelListOverride = null;
        garbled.ModelListOverride = null;
        var after = await ws.WatchAsync();
        Assert.True(after.ExitCode == ExitCodes.Pass, after.Output + after.Error);
    }

    [Fact]
    public async Task Watch_killed_during_a_new_model_finishes_it_next_time_sending_only_the_items_not_yet_stored()
    {
        const int items = 400;
        using var ws = new WatchWorkspace(items);
        await using var server = await TestLlmServer.StartAsync(WatchWorkspace.Script(("prod", ws.Right())), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, WatchWorkspace.OpenAiSource("vendor", server.BaseUrl, concurrency: 4), concurrency: 16);
        Assert.Equal(ExitCodes.Pass, (await ws.WatchAsync()).ExitCode);
        server.AddModel("slow", ws.Right(ttftMs: 15));

        await DotnetProcess.KillWhenAsync(
            DotnetProcess.StartInfo("basedeval.dll", ws.Root, "watch", "--config", ws.ConfigPath),
            () => StoredSamples.Count(ws.StorePath, "vendor/slow") >= items / 4,
            TimeSpan.FromSeconds(90),
            TestContext.Current.CancellationToken);

        // Requests cut by the kill reach the server's log as aborted; let them land before reading it.
        await Task.Delay(200, TestContext.Current.CancellationToken);
        var requestsAtKill = server.Requests.Count;
        var answeredAtKill = server.Requests.Where(r => r.Model == "slow" && r.Completed && r.StatusCode == 200).Select(r => r.Key!).ToHashSet();
        HashSet<string> committed;
        await using (var store = await SqliteResultStore.OpenAsync(ws.StorePath, TestContext.Current.CancellationToken))
        {
            var pending = (await store.GetWatchedSourceAsync("vendor", TestContext.Current.CancellationToken))!.Models.Single(m => m.ModelId == "slow");
            Assert.Equal(WatchedStatus.Pending, pending.Status);
            var run = Assert.Single(await store.ListRunsAsync(TestContext.Current.CancellationToken), r => r.TargetName == "vendor/slow");
            committed = (await store.GetSamplesAsync(run.Id, TestContext.Current.CancellationToken)).Select(s => KeyOf(s.RequestJson)).ToHashSet();
            Assert.True(committed.Count >= items / 4, $"only {committed.Count} samples were committed");
        }

        var resumed = await ws.WatchAsync();

        Assert.True(resumed.ExitCode == ExitCodes.Pass, resumed.Output + resumed.Error);
        Assert.Contains("vendor/slow: finishing the evaluation an earlier watch began", resumed.Output, StringComparison.Ordinal);
        Assert.Contains("vendor/slow  PASS  ", resumed.Output, StringComparison.Ordinal);
        var afterKill = server.Requests.Skip(requestsAtKill).ToList();
        Assert.DoesNotContain(afterKill, r => r.Model == "prod");
        Assert.DoesNotContain(afterKill, r => committed.Contains(r.Key!));
        Assert.Equal(items - committed.Count, afterKill.Select(r => r.Key).Distinct().Count());
        Assert.Equal(items, server.Requests.Where(r => r.Model == "slow" && r.Completed && r.StatusCode == 200).Select(r => r.Key).Distinct().Count());
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"killed after {answeredAtKill.Count} answers of {items}: {committed.Count} stored, {afterKill.Count} requests sent by the next watch, none to production");

        var requests = server.Requests.Count;
        var again = await ws.WatchAsync();
        Assert.True(again.ExitCode == ExitCodes.Pass, again.Output + again.Error);
        Assert.Equal(requests, server.Requests.Count);
    }

    [Fact]
    public async Task Watch_dry_run_prints_what_would_run_with_counts_and_cost_and_records_nothing()
    {
        using var ws = new WatchWorkspace(50);
        await using var server = await TestLlmServer.StartAsync(WatchWorkspace.Script(("prod", ws.Right()), ("a", ws.Right())), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, WatchWorkspace.OpenAiSource("vendor", server.BaseUrl));

        var dry = await ws.WatchAsync("--dry-run", "--all");

        Assert.True(dry.ExitCode == ExitCodes.Pass, dry.Output + dry.Error);
        Assert.Matches(@"would evaluate vendor/a: prod: 50 samples, 50 to send, about \$0\.\d+; vendor/a: 50 samples, 50 to send, about \$0\.\d+", dry.Output);
        Assert.Empty(server.Requests);
        var notified = ws.Notification();
        Assert.True(notified.GetProperty("dry_run").GetBoolean());
        var model = Assert.Single(notified.GetProperty("models").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, model.GetProperty("verdict").ValueKind);
        Assert.Equal([50, 50], model.GetProperty("estimates").EnumerateArray().Select(e => e.GetProperty("to_send").GetInt32()));

        // Nothing was recorded: the real first watch still sees its first listing.
        var first = await ws.WatchAsync();
        Assert.Contains("1 recorded (a)", first.Output, StringComparison.Ordinal);
    }

    private static string KeyOf(string requestJson) => System.Text.RegularExpressions.Regex.Match(requestJson, @"\[Q(\d{5})\]").Groups[1].Value;
}
