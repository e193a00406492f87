using System.Globalization;
using System.Text.Json;
using BasedEval.Core.Config;
using Microsoft.Data.Sqlite;

namespace BasedEval.Core.Storage;

/// <summary>
/// The default store: one SQLite file in WAL mode. One connection guarded by a lock, since SQLite serialises writers
/// anyway and a batch per transaction keeps up with thousands of samples a second.
/// </summary>
public sealed partial class SqliteResultStore : IResultStore
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _lock = new(1, 1);

    private SqliteResultStore(SqliteConnection connection, string path)
    {
        _connection = connection;
        Path = path;
    }

    public string Path { get; }

    /// <param name="timeout">How long to wait for another process's lock (evals.yaml <c>store_timeout_s</c>); 30 s when null.</param>
    /// <param name="waiting">Told once when the store is locked and the open waits, so that a wait is never silent.</param>
    public static async Task<SqliteResultStore> OpenAsync(string path, CancellationToken cancellationToken, TimeSpan? timeout = null, Action<string>? waiting = null)
    {
        var full = System.IO.Path.GetFullPath(path);
        var patience = timeout ?? TimeSpan.FromSeconds(EvalConfig.DefaultStoreTimeoutSeconds);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"the result store folder for `{full}` cannot be created: {e.Message}", "point `store:` in evals.yaml at a writable location");
        }

        EnsureWritable(full);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, DefaultTimeout = Math.Max(1, (int)Math.Ceiling(patience.TotalSeconds)) }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            try
            {
                await ProbeWriteAsync(connection, TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (SqliteException e) when (SqliteErrors.IsBusy(e) && patience > TimeSpan.Zero)
            {
                waiting?.Invoke($"the result store `{full}` is locked by another process; waiting up to {patience.TotalSeconds:0.#} s (store_timeout_s)…");
                await ProbeWriteAsync(connection, patience, cancellationToken);
            }

            await ExecuteAsync(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", cancellationToken);
            await SqliteSchema.MigrateAsync(connection, full, cancellationToken);
        }
        catch (SqliteException e)
        {
            await connection.DisposeAsync();
            throw SqliteErrors.Describe(e, full, patience);
        }

        return new SqliteResultStore(connection, full);
    }

    /// <summary>
    /// SQLite opens and reads a file it cannot write (immutable, on a read-only mount, without write permission) and fails
    /// only at the first write, after requests were paid for: an existing store is opened for writing here first, which
    /// changes none of its bytes.
    /// </summary>
    private static void EnsureWritable(string path)
    {
        if (Directory.Exists(path))
        {
            // SQLite's own error names a folder standing where the store should be.
            return;
        }

        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ConfigException(
                $"the result store `{path}` cannot be written: {e.Message}",
                $"make it writable (chmod u+w; chattr -i where the file is immutable; a mount that is not read-only), or point `store:` in evals.yaml at a writable location; nothing was changed");
        }
    }

    /// <summary>Takes and releases the write lock, waiting up to <paramref name="wait"/> for another process's.</summary>
    private static async Task ProbeWriteAsync(SqliteConnection connection, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "BEGIN IMMEDIATE; ROLLBACK;";
        // Microsoft.Data.Sqlite retries a busy store itself until the command timeout (0 would mean for ever).
        command.CommandTimeout = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task CreateRunAsync(RunRecord run, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO runs (id, created_utc, finished_utc, status, target_name, target_key, provider, model, endpoint, suites,
                                  config_hash, tool_version, git_commit, prices, seed, planned_samples)
                VALUES ($id, $created, $finished, $status, $target_name, $target_key, $provider, $model, $endpoint, $suites,
                        $config_hash, $tool_version, $git_commit, $prices, $seed, $planned)
                ON CONFLICT(id) DO UPDATE SET status = excluded.status, finished_utc = excluded.finished_utc, planned_samples = excluded.planned_samples;
                """;
            command.Parameters.AddWithValue("$id", run.Id);
            command.Parameters.AddWithValue("$created", Iso(run.CreatedUtc));
            command.Parameters.AddWithValue("$finished", run.FinishedUtc is { } f ? Iso(f) : DBNull.Value);
            command.Parameters.AddWithValue("$status", run.Status.ToString());
            command.Parameters.AddWithValue("$target_name", run.TargetName);
            command.Parameters.AddWithValue("$target_key", run.TargetKey);
            command.Parameters.AddWithValue("$provider", run.Provider);
            command.Parameters.AddWithValue("$model", run.Model);
            command.Parameters.AddWithValue("$endpoint", run.Endpoint);
            command.Parameters.AddWithValue("$suites", JsonSerializer.Serialize(run.Suites));
            command.Parameters.AddWithValue("$config_hash", run.ConfigHash);
            command.Parameters.AddWithValue("$tool_version", run.ToolVersion);
            command.Parameters.AddWithValue("$git_commit", (object?)run.GitCommit ?? DBNull.Value);
            command.Parameters.AddWithValue("$prices", JsonSerializer.Serialize(new[] { run.Prices.Input, run.Prices.CachedInput, run.Prices.Output }));
            command.Parameters.AddWithValue("$seed", run.Seed);
            command.Parameters.AddWithValue("$planned", run.PlannedSamples);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task FinishRunAsync(string runId, RunStatus status, DateTimeOffset finishedUtc, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "UPDATE runs SET status = $status, finished_utc = $finished WHERE id = $id;";
            command.Parameters.AddWithValue("$status", status.ToString());
            command.Parameters.AddWithValue("$finished", Iso(finishedUtc));
            command.Parameters.AddWithValue("$id", runId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task SaveRunReliabilityAsync(string runId, RunReliability reliability, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "UPDATE runs SET reliability = $reliability WHERE id = $id;";
            command.Parameters.AddWithValue("$reliability", JsonSerializer.Serialize(reliability));
            command.Parameters.AddWithValue("$id", runId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<RunReliability?> GetRunReliabilityAsync(string runId, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT reliability FROM runs WHERE id = $id;";
            command.Parameters.AddWithValue("$id", runId);
            return await command.ExecuteScalarAsync(cancellationToken) is string json ? JsonSerializer.Deserialize<RunReliability>(json) : null;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken)
    {
        var runs = await QueryRunsAsync("WHERE id = $id", runId, cancellationToken);
        return runs.Count == 0 ? null : runs[0];
    }

    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(CancellationToken cancellationToken) =>
        QueryRunsAsync(string.Empty, null, cancellationToken);

    private async Task<IReadOnlyList<RunRecord>> QueryRunsAsync(string where, string? id, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"""
                SELECT id, created_utc, finished_utc, status, target_name, target_key, provider, model, endpoint, suites,
                       config_hash, tool_version, git_commit, prices, seed, planned_samples
                FROM runs {where} ORDER BY created_utc;
                """;
            if (id is not null)
            {
                command.Parameters.AddWithValue("$id", id);
            }

            var runs = new List<RunRecord>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var prices = JsonSerializer.Deserialize<double[]>(reader.GetString(13)) ?? [0, 0, 0];
                runs.Add(new RunRecord(
                    reader.GetString(0),
                    ParseIso(reader.GetString(1)),
                    reader.IsDBNull(2) ? null : ParseIso(reader.GetString(2)),
                    Enum.Parse<RunStatus>(reader.GetString(3)),
                    reader.GetString(4),
                    reader.GetString(5),
                    reader.GetString(6),
                    reader.GetString(7),
                    reader.GetString(8),
                    JsonSerializer.Deserialize<string[]>(reader.GetString(9)) ?? [],
                    reader.GetString(10),
                    reader.GetString(11),
                    reader.IsDBNull(12) ? null : reader.GetString(12),
                    new Prices(prices[0], prices[1], prices[2]),
                    reader.GetInt32(14),
                    reader.GetInt32(15)));
            }

            return runs;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task SaveComparisonAsync(ComparisonRecord comparison, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT OR REPLACE INTO comparisons (id, created_utc, baseline_run, candidate_run, verdict, document)
                VALUES ($id, $created, $baseline, $candidate, $verdict, $document);
                """;
            command.Parameters.AddWithValue("$id", comparison.Id);
            command.Parameters.AddWithValue("$created", Iso(comparison.CreatedUtc));
            command.Parameters.AddWithValue("$baseline", comparison.BaselineRunId);
            command.Parameters.AddWithValue("$candidate", comparison.CandidateRunId);
            command.Parameters.AddWithValue("$verdict", comparison.Verdict);
            command.Parameters.AddWithValue("$document", comparison.DocumentJson);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<ComparisonRecord?> GetComparisonAsync(string comparisonId, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT id, created_utc, baseline_run, candidate_run, verdict, document FROM comparisons WHERE id = $id;";
            command.Parameters.AddWithValue("$id", comparisonId);
            using var r = await command.ExecuteReaderAsync(cancellationToken);
            return await r.ReadAsync(cancellationToken)
                ? new ComparisonRecord(r.GetString(0), ParseIso(r.GetString(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5))
                : null;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _lock.Dispose();
    }

    internal static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseIso(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
