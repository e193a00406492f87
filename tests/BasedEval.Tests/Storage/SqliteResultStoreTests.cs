using BasedEval.Core.Config;
using BasedEval.Core.Scoring;
using BasedEval.Core.Storage;
using BasedEval.Core.Targets;

namespace BasedEval.Tests.Storage;

public class SqliteResultStoreTests
{
    private static RunRecord Run(string id, string key) => new(
        id, DateTimeOffset.UtcNow, null, RunStatus.Running, "t", key, "openai", "m", "http://x/v1", ["s"], "hash", "1.0", null, new Prices(1, 0.5, 2), 7, 2);

    private static Sample Sample(string run, string item, string hash, string? error = null) => new(
        run, "s", item, 0, hash, "{}", error is null ? "Answer: B" : null, "stop",
        new TokenUsage(10, 4, 5, 1, false),
        error is null ? new SampleTimings(DateTimeOffset.UnixEpoch, 12.345, 30.5, [new(12.345, 1), new(20.125, 3)]) : null,
        error is null ? null : "Timeout", error, 2, false, 0.001, DateTimeOffset.UtcNow,
        error is null ? new Score(1, "B", "answered B") { Checks = new Dictionary<string, bool> { ["valid_json"] = true, ["tool_chosen"] = false } } : null,
        "B", ["math"])
    {
        ToolCalls = error is null ? [new ToolCall("call_1", "get_weather", "{\"city\":\"Oslo\"}")] : [],
    };

    [Fact]
    public async Task A_sample_round_trips_with_timings_usage_score_checks_and_tool_calls()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "r.db");
        await using (var store = await SqliteResultStore.OpenAsync(path, TestContext.Current.CancellationToken))
        {
            await store.CreateRunAsync(Run("r1", "k"), TestContext.Current.CancellationToken);
            await store.SaveSamplesAsync([Sample("r1", "i1", "h1"), Sample("r1", "i2", "h2", error: "slow")], TestContext.Current.CancellationToken);
        }

        await using var reopened = await SqliteResultStore.OpenAsync(path, TestContext.Current.CancellationToken);
        var samples = await reopened.GetSamplesAsync("r1", TestContext.Current.CancellationToken);

        var ok = samples.Single(s => s.ItemId == "i1");
        Assert.Equal(new TokenUsage(10, 4, 5, 1, false), ok.Usage);
        Assert.Equal(12.345, ok.Timings!.TtftMs!.Value, 3);
        Assert.Equal([new ChunkArrival(12.345, 1), new ChunkArrival(20.125, 3)], ok.Timings.OutputChunks);
        Assert.True(ok.Score!.Checks["valid_json"]);
        Assert.False(ok.Score.Checks["tool_chosen"]);
        Assert.Equal(new ToolCall("call_1", "get_weather", "{\"city\":\"Oslo\"}"), Assert.Single(ok.ToolCalls));
        Assert.Equal(["math"], ok.Slices);
        var failed = samples.Single(s => s.ItemId == "i2");
        Assert.False(failed.Succeeded);
        Assert.Null(failed.Score);
        Assert.Empty(failed.ToolCalls);
    }

    [Fact]
    public async Task The_cache_finds_only_successful_answers_of_the_same_target()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "r.db");
        await using var store = await SqliteResultStore.OpenAsync(path, TestContext.Current.CancellationToken);
        await store.CreateRunAsync(Run("r1", "target-a"), TestContext.Current.CancellationToken);
        await store.CreateRunAsync(Run("r2", "target-b"), TestContext.Current.CancellationToken);
        await store.SaveSamplesAsync([Sample("r1", "i1", "h1"), Sample("r1", "i2", "h2", error: "x"), Sample("r2", "i3", "h3")], TestContext.Current.CancellationToken);

        var found = await store.FindSucceededAsync("target-a", ["h1", "h2", "h3"], TestContext.Current.CancellationToken);

        Assert.Equal(["h1"], found.Keys);
    }

    [Fact]
    public async Task A_store_from_before_usage_named_its_tokenizer_opens_keeps_its_samples_and_then_records_the_tokenizer()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "r.db");
        await using (var store = await SqliteResultStore.OpenAsync(path, TestContext.Current.CancellationToken))
        {
            await store.CreateRunAsync(Run("r1", "k"), TestContext.Current.CancellationToken);
            await store.SaveSamplesAsync([Sample("r1", "old", "h1")], TestContext.Current.CancellationToken);
        }

        // Schema 5 is this file without the column: what an earlier basedeval left on disk.
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            using var downgrade = connection.CreateCommand();
            downgrade.CommandText = "ALTER TABLE samples DROP COLUMN usage_tokenizer; PRAGMA user_version = 5;";
            await downgrade.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await using (var store = await SqliteResultStore.OpenAsync(path, TestContext.Current.CancellationToken))
        {
            await store.SaveSamplesAsync([Sample("r1", "new", "h2") with { Usage = new TokenUsage(7, 0, 3, 0, false) { CountedBy = "o200k_base" } }], TestContext.Current.CancellationToken);
            var samples = (await store.GetSamplesAsync("r1", TestContext.Current.CancellationToken)).ToDictionary(s => s.ItemId);

            Assert.Equal(new TokenUsage(10, 4, 5, 1, false), samples["old"].Usage);
            Assert.Null(samples["old"].Usage.CountedBy);
            Assert.Equal("o200k_base", samples["new"].Usage.CountedBy);
            Assert.Equal(3, samples["new"].Usage.OutputTokens);
        }
    }
}
