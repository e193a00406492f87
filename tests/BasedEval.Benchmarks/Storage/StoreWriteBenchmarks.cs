using BasedEval.StoreHarness;
using BenchmarkDotNet.Attributes;

namespace BasedEval.Benchmarks.Storage;

/// <summary>
/// Samples stored one per commit, as the runner stores each answer: the product's SQLite store (WAL, synchronous=NORMAL)
/// against LiteDB 5.0.21 in its direct and shared modes, the same samples written into a fresh file each iteration. One operation is one
/// sample; Ratio is LiteDB's time per sample over SQLite's, so SQLite's samples/s over LiteDB's.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet owns the lifecycle: IterationSetup creates, IterationCleanup disposes.")]
[MinColumn]
[MedianColumn]
[InvocationCount(1)]
public class StoreWriteBenchmarks
{
    private const int SamplesPerInvoke = 500;

    private string _folder = "";
    private ISampleStore _store = null!;

    [IterationSetup(Target = nameof(Sqlite))]
    public void OpenSqlite() => OpenFresh("sqlite");

    [IterationSetup(Target = nameof(LiteDbDirect))]
    public void OpenLiteDbDirect() => OpenFresh("litedb");

    [IterationSetup(Target = nameof(LiteDbShared))]
    public void OpenLiteDbShared() => OpenFresh("litedb-shared");

    [IterationCleanup]
    public void DeleteStore()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = SamplesPerInvoke)]
    public Task Sqlite() => CommitEachAsync();

    [Benchmark(OperationsPerInvoke = SamplesPerInvoke)]
    public Task LiteDbDirect() => CommitEachAsync();

    [Benchmark(OperationsPerInvoke = SamplesPerInvoke)]
    public Task LiteDbShared() => CommitEachAsync();

    private void OpenFresh(string kind)
    {
        _folder = Directory.CreateTempSubdirectory("basedeval-store-bench").FullName;
        _store = SampleStores.OpenAsync(kind, Path.Combine(_folder, "results.db")).GetAwaiter().GetResult();
    }

    private async Task CommitEachAsync()
    {
        for (var i = 0; i < SamplesPerInvoke; i++)
        {
            await _store.SaveAsync(HarnessSamples.Make(i));
        }
    }
}
