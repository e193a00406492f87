using Npgsql;

namespace BasedEval.Core.Storage.Postgres;

/// <summary>
/// The shared store's tables, the SQLite store's under the same keys. Many shard processes open the store at once, so
/// creating them is serialised by an advisory lock and every statement is idempotent.
/// </summary>
internal static class PostgresSchema
{
    private const long MigrationLock = 0x6261736564; // "based"

    public static async Task MigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            SELECT pg_advisory_xact_lock({MigrationLock});
            CREATE TABLE IF NOT EXISTS runs (
                id TEXT PRIMARY KEY,
                created_utc TIMESTAMPTZ NOT NULL,
                finished_utc TIMESTAMPTZ,
                status TEXT NOT NULL,
                target_name TEXT NOT NULL,
                target_key TEXT NOT NULL,
                provider TEXT NOT NULL,
                model TEXT NOT NULL,
                endpoint TEXT NOT NULL,
                suites TEXT NOT NULL,
                config_hash TEXT NOT NULL,
                tool_version TEXT NOT NULL,
                git_commit TEXT,
                prices TEXT NOT NULL,
                seed INTEGER NOT NULL,
                planned_samples INTEGER NOT NULL,
                reliability TEXT
            );
            CREATE TABLE IF NOT EXISTS samples (
                run_id TEXT NOT NULL REFERENCES runs(id),
                suite TEXT NOT NULL,
                item_id TEXT NOT NULL,
                epoch INTEGER NOT NULL,
                target_key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                request_json TEXT NOT NULL,
                response_text TEXT,
                finish_reason TEXT,
                input_tokens INTEGER NOT NULL,
                cached_input_tokens INTEGER NOT NULL,
                output_tokens INTEGER NOT NULL,
                reasoning_tokens INTEGER NOT NULL,
                usage_estimated BOOLEAN NOT NULL,
                request_start_utc TIMESTAMPTZ,
                ttft_ms DOUBLE PRECISION,
                e2e_ms DOUBLE PRECISION,
                chunks TEXT,
                error_kind TEXT,
                error TEXT,
                attempts INTEGER NOT NULL,
                from_cache BOOLEAN NOT NULL,
                cost_usd DOUBLE PRECISION NOT NULL,
                completed_utc TIMESTAMPTZ NOT NULL,
                reference TEXT,
                slices TEXT NOT NULL,
                tool_calls TEXT,
                score_value DOUBLE PRECISION,
                score_extracted TEXT,
                score_explanation TEXT,
                score_checks TEXT,
                PRIMARY KEY (run_id, suite, item_id, epoch)
            );
            CREATE INDEX IF NOT EXISTS samples_cache ON samples (target_key, request_hash) WHERE error_kind IS NULL;
            CREATE TABLE IF NOT EXISTS comparisons (
                id TEXT PRIMARY KEY,
                created_utc TIMESTAMPTZ NOT NULL,
                baseline_run TEXT NOT NULL REFERENCES runs(id),
                candidate_run TEXT NOT NULL REFERENCES runs(id),
                verdict TEXT NOT NULL,
                document TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS run_shards (
                run_id TEXT NOT NULL REFERENCES runs(id),
                shard_index INTEGER NOT NULL,
                shard_count INTEGER NOT NULL,
                status TEXT NOT NULL,
                updated_utc TIMESTAMPTZ,
                items TEXT NOT NULL,
                PRIMARY KEY (run_id, shard_index)
            );
            CREATE TABLE IF NOT EXISTS watch_sources (
                source TEXT PRIMARY KEY,
                first_listed_utc TIMESTAMPTZ NOT NULL,
                last_listed_utc TIMESTAMPTZ NOT NULL
            );
            CREATE TABLE IF NOT EXISTS watch_models (
                source TEXT NOT NULL REFERENCES watch_sources(source),
                model_id TEXT NOT NULL,
                status TEXT NOT NULL,
                listed BOOLEAN NOT NULL,
                first_seen_utc TIMESTAMPTZ NOT NULL,
                last_listed_utc TIMESTAMPTZ NOT NULL,
                comparison_id TEXT,
                verdict TEXT,
                PRIMARY KEY (source, model_id)
            );
            -- Added after the first release: which tokenizer counted the usage a server did not report.
            ALTER TABLE samples ADD COLUMN IF NOT EXISTS usage_tokenizer TEXT;
            """, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
