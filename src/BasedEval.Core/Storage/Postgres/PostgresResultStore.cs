using System.Text.Json;
using BasedEval.Core.Config;
using BasedEval.Core.Scoring;
using BasedEval.Core.Targets;
using Npgsql;
using NpgsqlTypes;

namespace BasedEval.Core.Storage.Postgres;

/// <summary>
/// The shared store for teams and for shards on many machines: PostgreSQL through a pooled data source. Every write is
/// an upsert on the same keys as SQLite's, so a shard that writes a batch twice (a retry, a restart) stores it once.
/// </summary>
public sealed class PostgresResultStore : IResultStore
{
    private const string SampleColumns = """
        run_id, suite, item_id, epoch, request_hash, request_json, response_text, finish_reason,
        input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, usage_estimated,
        request_start_utc, ttft_ms, e2e_ms, chunks, error_kind, error, attempts, from_cache,
        cost_usd, completed_utc, reference, slices, score_value, score_extracted, score_explanation, tool_calls, score_checks, usage_tokenizer
        """;

    private const string RunColumns = """
        id, created_utc, finished_utc, status, target_name, target_key, provider, model, endpoint, suites,
        config_hash, tool_version, git_commit, prices, seed, planned_samples
        """;

    private readonly NpgsqlDataSource _source;

    private PostgresResultStore(NpgsqlDataSource source, PostgresAddress address)
    {
        _source = source;
        Address = address;
    }

    public PostgresAddress Address { get; }

    public static async Task<PostgresResultStore> OpenAsync(PostgresAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        var source = NpgsqlDataSource.Create(address.ConnectionString);
        try
        {
            await using var connection = await source.OpenConnectionAsync(cancellationToken);
            await PostgresSchema.MigrateAsync(connection, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await source.DisposeAsync();
            // Npgsql's messages name host and user, never the password; the address is printed without it.
            throw new ConfigException($"the PostgreSQL store {address.Display} cannot be opened: {e.Message}", "check that the server is up and the user, database and $PGPASSWORD are right; nothing was changed");
        }

        return new PostgresResultStore(source, address);
    }

    public async Task CreateRunAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        await using var command = _source.CreateCommand($"""
            INSERT INTO runs ({RunColumns})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, finished_utc = excluded.finished_utc, planned_samples = excluded.planned_samples;
            """);
        Add(command, run.Id, run.CreatedUtc.UtcDateTime, Nullable(run.FinishedUtc?.UtcDateTime), run.Status.ToString(), run.TargetName, run.TargetKey,
            run.Provider, run.Model, run.Endpoint, JsonSerializer.Serialize(run.Suites), run.ConfigHash, run.ToolVersion, Nullable(run.GitCommit),
            JsonSerializer.Serialize(new[] { run.Prices.Input, run.Prices.CachedInput, run.Prices.Output }), run.Seed, run.PlannedSamples);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task FinishRunAsync(string runId, RunStatus status, DateTimeOffset finishedUtc, CancellationToken cancellationToken)
    {
        await using var command = _source.CreateCommand("UPDATE runs SET status = $1, finished_utc = $2 WHERE id = $3;");
        Add(command, status.ToString(), finishedUtc.UtcDateTime, runId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task SaveRunReliabilityAsync(string runId, RunReliability reliability, CancellationToken cancellationToken)
    {
        await using var command = _source.CreateCommand("UPDATE runs SET reliability = $1 WHERE id = $2;");
        Add(command, JsonSerializer.Serialize(reliability), runId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<RunReliability?> GetRunReliabilityAsync(string runId, CancellationToken cancellationToken)
    {
        await using var command = _source.CreateCommand("SELECT reliability FROM runs WHERE id = $1;");
        Add(command, runId);
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? JsonSerializer.Deserialize<RunReliability>(json) : null;
    }

    public async Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken) =>
        (await QueryRunsAsync("WHERE id = $1", runId, cancellationToken)) is [var run, ..] ? run : null;

    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(CancellationToken cancellationToken) => QueryRunsAsync(string.Empty, null, cancellationToken);

    private async Task<IReadOnlyList<RunRecord>> QueryRunsAsync(string where, string? id, CancellationToken cancellationToken)
    {
        await using var command = _source.CreateCommand($"SELECT {RunColumns} FROM runs {where} ORDER BY created_utc, id;");
        if (id is not null)
        {
            Add(command, id);
        }

        var runs = new List<RunRecord>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var prices = JsonSerializer.Deserialize<double[]>(r.GetString(13)) ?? [0, 0, 0];
            runs.Add(new RunRecord(
                r.GetString(0), Utc(r.GetDateTime(1)), r.IsDBNull(2) ? null : Utc(r.GetDateTime(2)), Enum.Parse<RunStatus>(r.GetString(3)),
                r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7), r.GetString(8), JsonSerializer.Deserialize<string[]>(r.GetString(9)) ?? [],
                r.GetString(10), r.GetString(11), r.IsDBNull(12) ? null : r.GetString(12), new Prices(prices[0], prices[1], prices[2]), r.GetInt32(14), r.GetInt32(15)));
        }

        return runs;
    }

    public async Task SaveSamplesAsync(IReadOnlyList<Sample> samples, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
        {
            return;
        }

        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var s in samples)
        {
            var command = new NpgsqlBatchCommand($"""
                INSERT INTO samples (target_key, {SampleColumns})
                VALUES ((SELECT target_key FROM runs WHERE id = $1), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                        $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)
                ON CONFLICT (run_id, suite, item_id, epoch) DO UPDATE SET
                    request_hash = excluded.request_hash, request_json = excluded.request_json, response_text = excluded.response_text,
                    finish_reason = excluded.finish_reason, input_tokens = excluded.input_tokens, cached_input_tokens = excluded.cached_input_tokens,
                    output_tokens = excluded.output_tokens, reasoning_tokens = excluded.reasoning_tokens, usage_estimated = excluded.usage_estimated,
                    request_start_utc = excluded.request_start_utc, ttft_ms = excluded.ttft_ms, e2e_ms = excluded.e2e_ms, chunks = excluded.chunks,
                    error_kind = excluded.error_kind, error = excluded.error, attempts = excluded.attempts, from_cache = excluded.from_cache,
                    cost_usd = excluded.cost_usd, completed_utc = excluded.completed_utc, reference = excluded.reference, slices = excluded.slices,
                    score_value = excluded.score_value, score_extracted = excluded.score_extracted, score_explanation = excluded.score_explanation,
                    tool_calls = excluded.tool_calls, score_checks = excluded.score_checks, usage_tokenizer = excluded.usage_tokenizer;
                """);
            foreach (var value in SampleValues(s))
            {
                command.Parameters.Add(value);
            }

            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
        // Committing must not be abandoned half-way by a Ctrl+C: what finished is kept.
        await transaction.CommitAsync(CancellationToken.None);
    }

    public Task<IReadOnlyList<Sample>> GetSamplesAsync(string runId, CancellationToken cancellationToken) =>
        QuerySamplesAsync("run_id = $1 ORDER BY suite, item_id, epoch", [runId], cancellationToken);

    public async Task<IReadOnlyDictionary<string, Sample>> FindSucceededAsync(string targetKey, IReadOnlyCollection<string> requestHashes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestHashes);
        var found = new Dictionary<string, Sample>(StringComparer.Ordinal);
        if (requestHashes.Count == 0)
        {
            return found;
        }

        // The newest answer wins, as in SQLite: later rows overwrite earlier ones.
        var samples = await QuerySamplesAsync(
            "target_key = $1 AND error_kind IS NULL AND request_hash = ANY($2) ORDER BY completed_utc",
            [targetKey, requestHashes.ToArray()],
            cancellationToken);
        foreach (var sample in samples)
        {
            found[sample.RequestHash] = sample;
        }

        return found;
    }

    private async Task<IReadOnlyList<Sample>> QuerySamplesAsync(string where, object[] values, CancellationToken cancellationToken)
    {
        await using var command = _source.CreateCommand($"SELECT {SampleColumns} FROM samples WHERE {where};");
        Add(command, values);
        var samples = new List<Sample>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            SampleTimings? timings = r.IsDBNull(13)
                ? null
                : new SampleTimings(Utc(r.GetDateTime(13)), r.IsDBNull(14) ? null : r.GetDouble(14), r.IsDBNull(15) ? 0 : r.GetDouble(15), r.IsDBNull(16) ? [] : ChunkCodec.Decode(r.GetString(16)));
            samples.Add(new Sample(
                r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetString(4), r.GetString(5),
                r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7),
                new TokenUsage(r.GetInt32(8), r.GetInt32(9), r.GetInt32(10), r.GetInt32(11), r.GetBoolean(12)) { CountedBy = r.IsDBNull(30) ? null : r.GetString(30) },
                timings,
                r.IsDBNull(17) ? null : r.GetString(17), r.IsDBNull(18) ? null : r.GetString(18), r.GetInt32(19), r.GetBoolean(20), r.GetDouble(21),
                Utc(r.GetDateTime(22)),
                r.IsDBNull(25) ? null : new Score(r.GetDouble(25), r.IsDBNull(26) ? null : r.GetString(26), r.GetString(27))
                {
                    Checks = r.IsDBNull(29) ? new Dictionary<string, bool>() : JsonSerializer.Deserialize<Dictionary<string, bool>>(r.GetString(29)) ?? [],
                },
                r.IsDBNull(23) ? null : r.GetString(23),
                JsonSerializer.Deserialize<string[]>(r.GetString(24)) ?? [])
            {
                ToolCalls = r.IsDBNull(28) ? [] : JsonSerializer.Deserialize<ToolCall[]>(r.GetString(28)) ?? [],
            });
        }

        return samples;
    }

    public async Task SaveComparisonAsync(ComparisonRecord comparison, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        await using var command = _source.CreateCommand("""
            INSERT INTO comparisons (id, created_utc, baseline_run, candidate_run, verdict, document) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (id) DO UPDATE SET created_utc = excluded.created_utc, baseline_run = excluded.baseline_run, candidate_run = excluded.candidate_run,
                verdict = excluded.verdict, document = excluded.document;
            """);
        Add(command, comparison.Id, comparison.CreatedUtc.UtcDateTime, comparison.BaselineRunId, comparison.CandidateRunId, comparison.Verdict, comparison.DocumentJson);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<ComparisonRecord?> GetComparisonAsync(string comparisonId, CancellationToken cancellationToken)
    {
        await using var command = _source.CreateCommand("SELECT id, created_utc, baseline_run, candidate_run, verdict, document FROM comparisons WHERE id = $1;");
        Add(command, comparisonId);
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        return await r.ReadAsync(cancellationToken)
            ? new ComparisonRecord(r.GetString(0), Utc(r.GetDateTime(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5))
            : null;
    }

    public async Task PlanShardsAsync(IReadOnlyList<ShardRecord> shards, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0)
        {
            return;
        }

        await using var command = _source.CreateCommand("""
            INSERT INTO run_shards (run_id, shard_index, shard_count, status, updated_utc, items)
            SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::timestamptz[], $6::text[])
            ON CONFLICT (run_id, shard_index) DO NOTHING;
            """);
        Add(command,
            shards.Select(s => s.RunId).ToArray(),
            shards.Select(s => s.Index).ToArray(),
            shards.Select(s => s.Count).ToArray(),
            shards.Select(s => s.Status.ToString()).ToArray(),
            shards.Select(s => s.UpdatedUtc?.UtcDateTime).ToArray(),
            shards.Select(s => JsonSerializer.Serialize(s.Items)).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task SetShardStatusAsync(string runId, int index, ShardStatus status, DateTimeOffset updatedUtc, CancellationToken cancellationToken)
    {
        await using var command = _source.CreateCommand("UPDATE run_shards SET status = $1, updated_utc = $2 WHERE run_id = $3 AND shard_index = $4;");
        Add(command, status.ToString(), updatedUtc.UtcDateTime, runId, index);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ShardRecord>> GetShardsAsync(string runId, CancellationToken cancellationToken)
    {
        await using var command = _source.CreateCommand("SELECT shard_index, shard_count, status, updated_utc, items FROM run_shards WHERE run_id = $1 ORDER BY shard_index;");
        Add(command, runId);
        var shards = new List<ShardRecord>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            shards.Add(new ShardRecord(runId, r.GetInt32(0), r.GetInt32(1), Enum.Parse<ShardStatus>(r.GetString(2)), r.IsDBNull(3) ? null : Utc(r.GetDateTime(3)),
                JsonSerializer.Deserialize<PlannedKey[]>(r.GetString(4)) ?? []));
        }

        return shards;
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    public async Task<WatchedSource?> GetWatchedSourceAsync(string source, CancellationToken cancellationToken)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var first = new NpgsqlCommand("SELECT first_listed_utc FROM watch_sources WHERE source = $1;", connection);
        Add(first, source);
        if (await first.ExecuteScalarAsync(cancellationToken) is not DateTime firstListed)
        {
            return null;
        }

        await using var command = new NpgsqlCommand(
            "SELECT model_id, status, listed, first_seen_utc, last_listed_utc, comparison_id, verdict FROM watch_models WHERE source = $1 ORDER BY model_id;", connection);
        Add(command, source);
        var models = new List<WatchedModel>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            models.Add(new WatchedModel(
                source,
                r.GetString(0),
                Enum.Parse<WatchedStatus>(r.GetString(1)),
                r.GetBoolean(2),
                Utc(r.GetDateTime(3)),
                Utc(r.GetDateTime(4)),
                r.IsDBNull(5) ? null : r.GetString(5),
                r.IsDBNull(6) ? null : r.GetString(6)));
        }

        return new WatchedSource(source, Utc(firstListed), models);
    }

    public async Task SaveWatchedAsync(string source, DateTimeOffset listedUtc, IReadOnlyList<WatchedModel> models, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(models);
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var sourceCommand = new NpgsqlCommand("""
            INSERT INTO watch_sources (source, first_listed_utc, last_listed_utc) VALUES ($1, $2, $2)
            ON CONFLICT (source) DO UPDATE SET last_listed_utc = excluded.last_listed_utc;
            """, connection, transaction))
        {
            Add(sourceCommand, source, listedUtc.UtcDateTime);
            await sourceCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        if (models.Count > 0)
        {
            await using var command = new NpgsqlCommand("""
                INSERT INTO watch_models (source, model_id, status, listed, first_seen_utc, last_listed_utc, comparison_id, verdict)
                SELECT $1, * FROM unnest($2::text[], $3::text[], $4::boolean[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[])
                ON CONFLICT (source, model_id) DO UPDATE SET status = excluded.status, listed = excluded.listed, first_seen_utc = excluded.first_seen_utc,
                    last_listed_utc = excluded.last_listed_utc, comparison_id = excluded.comparison_id, verdict = excluded.verdict;
                """, connection, transaction);
            Add(command,
                source,
                models.Select(m => m.ModelId).ToArray(),
                models.Select(m => m.Status.ToString()).ToArray(),
                models.Select(m => m.Listed).ToArray(),
                models.Select(m => m.FirstSeenUtc.UtcDateTime).ToArray(),
                models.Select(m => m.LastListedUtc.UtcDateTime).ToArray(),
                models.Select(m => m.ComparisonId).ToArray(),
                models.Select(m => m.Verdict).ToArray());
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(CancellationToken.None);
    }

    private static IEnumerable<NpgsqlParameter> SampleValues(Sample s) =>
        new object?[]
        {
            s.RunId, s.Suite, s.ItemId, s.Epoch, s.RequestHash, s.RequestJson, s.ResponseText, s.FinishReason,
            s.Usage.InputTokens, s.Usage.CachedInputTokens, s.Usage.OutputTokens, s.Usage.ReasoningTokens, s.Usage.Estimated,
            s.Timings?.RequestStartUtc.UtcDateTime, s.Timings?.TtftMs, s.Timings?.E2eMs, s.Timings is { } t ? ChunkCodec.Encode(t.OutputChunks) : null,
            s.ErrorKind, s.Error, s.Attempts, s.FromCache, s.CostUsd, s.CompletedUtc.UtcDateTime, s.Reference, JsonSerializer.Serialize(s.Slices),
            s.Score?.Value, s.Score?.Extracted, s.Score?.Explanation, s.ToolCalls.Count == 0 ? null : JsonSerializer.Serialize(s.ToolCalls),
            s.Score is { Checks.Count: > 0 } score ? JsonSerializer.Serialize(score.Checks) : null, s.Usage.CountedBy,
        }.Select(Parameter);

    private static NpgsqlParameter Parameter(object? value) => value switch
    {
        null => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Unknown },
        _ => new NpgsqlParameter { Value = value },
    };

    private static void Add(NpgsqlCommand command, params object?[] values)
    {
        foreach (var value in values)
        {
            command.Parameters.Add(Parameter(value));
        }
    }

    private static object Nullable(object? value) => value ?? DBNull.Value;

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
