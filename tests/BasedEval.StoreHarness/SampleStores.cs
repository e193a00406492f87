using System.Text.Json;
using BasedEval.Core.Storage;
using LiteDB;

namespace BasedEval.StoreHarness;

/// <summary>Where the harness writes: one sample per commit, as the runner stores each answer when it completes.</summary>
public interface ISampleStore : IAsyncDisposable
{
    Task SaveAsync(Sample sample);

    Task<int> CountAsync();
}

public static class SampleStores
{
    /// <summary>"sqlite", "litedb" (LiteDB's direct mode: one process at a time) or "litedb-shared" (a mutex across processes).</summary>
    public static readonly string[] Kinds = ["sqlite", "litedb", "litedb-shared"];

    public static async Task<ISampleStore> OpenAsync(string kind, string path) => kind switch
    {
        "sqlite" => await SqliteSampleStore.OpenAsync(path),
        "litedb" => new LiteDbSampleStore(path, shared: false),
        "litedb-shared" => new LiteDbSampleStore(path, shared: true),
        _ => throw new ArgumentException($"store kind \"{kind}\" is not one of {string.Join(", ", Kinds)}", nameof(kind)),
    };
}

/// <summary>The product's own SQLite store, through its public interface.</summary>
public sealed class SqliteSampleStore : ISampleStore
{
    private readonly SqliteResultStore _store;

    private SqliteSampleStore(SqliteResultStore store) => _store = store;

    public static async Task<SqliteSampleStore> OpenAsync(string path)
    {
        var store = await SqliteResultStore.OpenAsync(path, CancellationToken.None);
        await store.CreateRunAsync(HarnessSamples.Run, CancellationToken.None);
        return new SqliteSampleStore(store);
    }

    public Task SaveAsync(Sample sample) => _store.SaveSamplesAsync([sample], CancellationToken.None);

    public async Task<int> CountAsync() => (await _store.GetSamplesAsync(HarnessSamples.RunId, CancellationToken.None)).Count;

    public ValueTask DisposeAsync() => _store.DisposeAsync();
}

/// <summary>
/// LiteDB 5 holding the same sample, score included, as one document keyed like the SQLite row (run, suite, item, epoch);
/// an upsert replaces a sample stored again, as INSERT OR REPLACE does.
/// </summary>
public sealed class LiteDbSampleStore : ISampleStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly LiteDatabase _database;
    private readonly ILiteCollection<BsonDocument> _samples;

    public LiteDbSampleStore(string path, bool shared)
    {
        _database = new LiteDatabase(new ConnectionString { Filename = path, Connection = shared ? ConnectionType.Shared : ConnectionType.Direct });
        _samples = _database.GetCollection("samples");
    }

    public Task SaveAsync(Sample sample)
    {
        var document = LiteDB.JsonSerializer.Deserialize(System.Text.Json.JsonSerializer.Serialize(sample, Json)).AsDocument;
        document["_id"] = $"{sample.RunId}/{sample.Suite}/{sample.ItemId}/{sample.Epoch}";
        _samples.Upsert(document);
        return Task.CompletedTask;
    }

    public Task<int> CountAsync() => Task.FromResult(_samples.Count());

    public ValueTask DisposeAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }
}
