using BasedEval.Core.Config;
using BasedEval.Core.Scoring;
using BasedEval.Core.Storage;
using BasedEval.Core.Storage.Postgres;
using BasedEval.Core.Targets;

namespace BasedEval.Tests.Scale;

/// <summary>The store contract, one class run against each backend: what one passes, the other must.</summary>
public abstract class ResultStoreContract
{
    private readonly string _prefix = $"c{Guid.NewGuid():N}"[..12];

    /// <summary>A new handle on the backend's store; several handles on one store stand for several shard processes.</summary>
    protected abstract Task<IResultStore> OpenAsync();

    private string Id(string name) => $"{_prefix}-{name}";

    private static RunRecord Run(string id, string key) => new(
        id, DateTimeOffset.UtcNow, null, RunStatus.Running, "t", key, "openai", "m", "http://x/v1", ["s"], "hash", "1.0", null, new Prices(1, 0.5, 2), 7, 2);

    private static Sample Sample(string run, string item, string hash, string? error = null, string answer = "Answer: B") => new(
        run, "s", item, 0, hash, "{}", error is null ? answer : null, "stop",
        new TokenUsage(10, 4, 5, 1, false),
        error is null ? new SampleTimings(DateTimeOffset.UnixEpoch, 12.345, 30.5, [new(12.345, 1), new(20.125, 3)]) : null,
        error is null ? null : "Timeout", error, 2, false, 0.001, DateTimeOffset.UtcNow,
        error is null ? new Score(1, "B", "answered B") { Checks = new Dictionary<string, bool> { ["valid_json"] = true } } : null,
        "B", ["math"])
    {
        ToolCalls = error is null ? [new ToolCall("call_1", "get_weather", "{\"city\":\"Oslo\"}")] : [],
    };

    [Fact]
    public async Task A_sample_round_trips_with_timings_usage_score_and_tool_calls()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var store = await OpenAsync();
        await store.CreateRunAsync(Run(Id("r1"), "k"), cancel);
        await store.SaveSamplesAsync([Sample(Id("r1"), "i1", "h1"), Sample(Id("r1"), "i2", "h2", error: "slow")], cancel);

        var samples = await store.GetSamplesAsync(Id("r1"), cancel);
        var ok = samples.Single(s => s.ItemId == "i1");
        Assert.Equal(new TokenUsage(10, 4, 5, 1, false), ok.Usage);
        Assert.Equal(12.345, ok.Timings!.TtftMs!.Value, 3);
        Assert.Equal([new ChunkArrival(12.345, 1), new ChunkArrival(20.125, 3)], ok.Timings.OutputChunks);
        Assert.True(ok.Score!.Checks["valid_json"]);
        Assert.Equal(new ToolCall("call_1", "get_weather", "{\"city\":\"Oslo\"}"), Assert.Single(ok.ToolCalls));
        Assert.Equal(["math"], ok.Slices);
        var failed = samples.Single(s => s.ItemId == "i2");
        Assert.False(failed.Succeeded);
        Assert.Null(failed.Score);
        Assert.Equal(Id("r1"), (await store.GetRunAsync(Id("r1"), cancel))!.Id);
    }

    [Fact]
    public async Task The_cache_finds_only_successful_answers_of_the_same_target()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var store = await OpenAsync();
        var (a, b) = (Id("target-a"), Id("target-b"));
        await store.CreateRunAsync(Run(Id("r1"), a), cancel);
        await store.CreateRunAsync(Run(Id("r2"), b), cancel);
        await store.SaveSamplesAsync([Sample(Id("r1"), "i1", "h1"), Sample(Id("r1"), "i2", "h2", error: "x"), Sample(Id("r2"), "i3", "h3")], cancel);

        var found = await store.FindSucceededAsync(a, ["h1", "h2", "h3"], cancel);

        Assert.Equal(["h1"], found.Keys);
    }

    [Fact]
    public async Task Shard_writers_at_once_lose_and_duplicate_no_sample()
    {
        var cancel = TestContext.Current.CancellationToken;
        const int writers = 8, items = 400;
        var run = Id("shared");
        await using (var first = await OpenAsync())
        {
            await first.CreateRunAsync(Run(run, "k"), cancel);
        }

        // Each item is written by two processes, in batches, as a restarted shard writes what it wrote before.
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            await using var store = await OpenAsync();
            await store.CreateRunAsync(Run(run, "k"), cancel);
            var mine = Enumerable.Range(0, items).Where(i => i % writers == w || (i + 1) % writers == w).Select(i => Sample(run, $"i{i:D4}", $"h{i}")).ToList();
            foreach (var batch in mine.Chunk(16))
            {
                await store.SaveSamplesAsync(batch, cancel);
            }
        }, cancel)));

        await using var reader = await OpenAsync();
        var stored = await reader.GetSamplesAsync(run, cancel);
        Assert.Equal(Enumerable.Range(0, items).Select(i => $"i{i:D4}"), stored.Select(s => s.ItemId));
        Assert.Single(await reader.ListRunsAsync(cancel), r => r.Id == run);
    }

    [Fact]
    public async Task Watch_records_keep_a_source_first_listing_and_each_model_state_across_handles()
    {
        var cancel = TestContext.Current.CancellationToken;
        var source = Id("vendor");
        var first = new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);
        await using (var store = await OpenAsync())
        {
            Assert.Null(await store.GetWatchedSourceAsync(source, cancel));
            await store.SaveWatchedAsync(source, first, [new WatchedModel(source, "old", WatchedStatus.Known, true, first, first)], cancel);
            await store.SaveWatchedAsync(source, first.AddDays(1), [new WatchedModel(source, "new", WatchedStatus.Pending, true, first.AddDays(1), first.AddDays(1))], cancel);
        }

        await using (var other = await OpenAsync())
        {
            var later = first.AddDays(2);
            await other.SaveWatchedAsync(source, later, [new WatchedModel(source, "new", WatchedStatus.Evaluated, false, first.AddDays(1), first.AddDays(1), "cmp-1", "PASS")], cancel);
            var watched = (await other.GetWatchedSourceAsync(source, cancel))!;

            Assert.Equal(first, watched.FirstListedUtc);
            Assert.Equal(
                [new WatchedModel(source, "new", WatchedStatus.Evaluated, false, first.AddDays(1), first.AddDays(1), "cmp-1", "PASS"), new WatchedModel(source, "old", WatchedStatus.Known, true, first, first)],
                watched.Models);
        }
    }

    [Fact]
    public async Task Shard_records_are_planned_once_and_keep_their_state()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var store = await OpenAsync();
        var run = Id("sharded");
        await store.CreateRunAsync(Run(run, "k"), cancel);
        ShardRecord[] plan = [new(run, 0, 2, ShardStatus.Pending, null, [new("s", "a", 0)]), new(run, 1, 2, ShardStatus.Pending, null, [new("s", "b", 0), new("s", "b", 1)])];
        await store.PlanShardsAsync(plan, cancel);
        await store.SetShardStatusAsync(run, 1, ShardStatus.Completed, DateTimeOffset.UtcNow, cancel);
        await store.PlanShardsAsync(plan, cancel);

        var shards = await store.GetShardsAsync(run, cancel);
        Assert.Equal([ShardStatus.Pending, ShardStatus.Completed], shards.Select(s => s.Status));
        Assert.Equal([new PlannedKey("s", "b", 0), new PlannedKey("s", "b", 1)], shards[1].Items);
        Assert.Empty(await store.GetShardsAsync(Id("unsharded"), cancel));
    }
}

public sealed class SqliteShardStoreContractTests : ResultStoreContract, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("basedeval-contract-").FullName;

    protected override async Task<IResultStore> OpenAsync() => await SqliteResultStore.OpenAsync(Path.Combine(_folder, "results.db"), TestContext.Current.CancellationToken);

    public void Dispose() => Cleanup.DeleteFolder(_folder);
}

public sealed class PostgresStoreContractTests(PostgresServer server) : ResultStoreContract, IClassFixture<PostgresServer>
{
    protected override async Task<IResultStore> OpenAsync()
    {
        Prerequisite.RequireInstalledByCi(server.Unavailable is null, server.Unavailable ?? string.Empty);
        Environment.SetEnvironmentVariable("PGPASSWORD", PostgresServer.Password);
        return await ResultStores.OpenAsync(server.Url, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Postgres_password_in_evals_yaml_is_refused_and_a_wrong_one_is_never_printed()
    {
        Prerequisite.RequireInstalledByCi(server.Unavailable is null, server.Unavailable ?? string.Empty);
        var cancel = TestContext.Current.CancellationToken;
        var inFile = await Assert.ThrowsAsync<ConfigException>(() => ResultStores.OpenAsync(server.UrlWithPassword, cancel));
        Assert.DoesNotContain(PostgresServer.Password, inFile.Message + inFile.Fix, StringComparison.Ordinal);

        Environment.SetEnvironmentVariable("BASEDEVAL_TEST_STORE", server.UrlWithPassword.Replace(PostgresServer.Password, "wrong-password-9", StringComparison.Ordinal));
        var wrong = await Assert.ThrowsAsync<ConfigException>(() => ResultStores.OpenAsync("env:BASEDEVAL_TEST_STORE", cancel));
        Assert.DoesNotContain("wrong-password-9", wrong.Message + wrong.Fix, StringComparison.Ordinal);
        Assert.Contains($"basedeval@127.0.0.1:{server.Port}/postgres", wrong.Message, StringComparison.Ordinal);

        Environment.SetEnvironmentVariable("BASEDEVAL_TEST_STORE", server.UrlWithPassword);
        await using var store = await ResultStores.OpenAsync("env:BASEDEVAL_TEST_STORE", cancel);
        Assert.IsType<PostgresResultStore>(store);
    }
}
