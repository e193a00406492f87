using System.Globalization;
using BasedEval.Core.Config;
using Microsoft.Data.Sqlite;

namespace BasedEval.Core.Storage;

/// <summary>
/// The result store's tables and how an older file is brought up to date: one step per schema version, recorded in
/// SQLite's user_version, so a store written by an earlier basedeval opens and one written by a newer one is refused.
/// </summary>
internal static class SqliteSchema
{
    public const int SchemaVersion = 6;

    public static async Task MigrateAsync(SqliteConnection connection, string path, CancellationToken cancellationToken)
    {
        using var version = connection.CreateCommand();
        version.CommandText = "PRAGMA user_version;";
        var current = Convert.ToInt32(await version.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        if (current == SchemaVersion)
        {
            return;
        }

        // Shard processes may open a new store at the same moment: the steps run under one write lock, and the version is
        // read again inside it, so the second process finds the first one's work done instead of altering a table twice.
        await SqliteResultStore.ExecuteAsync(connection, "BEGIN IMMEDIATE;", cancellationToken);
        try
        {
            current = Convert.ToInt32(await version.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            await MigrateLockedAsync(connection, path, current, cancellationToken);
            await SqliteResultStore.ExecuteAsync(connection, "COMMIT;", cancellationToken);
        }
        catch
        {
            await SqliteResultStore.ExecuteAsync(connection, "ROLLBACK;", CancellationToken.None);
            throw;
        }
    }

    private static async Task MigrateLockedAsync(SqliteConnection connection, string path, int current, CancellationToken cancellationToken)
    {
        if (current == SchemaVersion)
        {
            return;
        }

        if (current > SchemaVersion)
        {
            throw new ConfigException($"the result store `{path}` was written by a newer basedeval (schema {current}, this one reads {SchemaVersion})", "upgrade basedeval, or point `store:` at another file");
        }

        if (current < 1)
        {
            await SqliteResultStore.ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS runs (
                    id TEXT PRIMARY KEY,
                    created_utc TEXT NOT NULL,
                    finished_utc TEXT,
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
                    planned_samples INTEGER NOT NULL
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
                    usage_estimated INTEGER NOT NULL,
                    request_start_utc TEXT,
                    ttft_ms REAL,
                    e2e_ms REAL,
                    chunks TEXT,
                    error_kind TEXT,
                    error TEXT,
                    attempts INTEGER NOT NULL,
                    from_cache INTEGER NOT NULL,
                    cost_usd REAL NOT NULL,
                    completed_utc TEXT NOT NULL,
                    reference TEXT,
                    slices TEXT NOT NULL,
                    PRIMARY KEY (run_id, suite, item_id, epoch)
                );
                CREATE INDEX IF NOT EXISTS samples_cache ON samples (target_key, request_hash) WHERE error_kind IS NULL;
                CREATE TABLE IF NOT EXISTS scores (
                    run_id TEXT NOT NULL,
                    suite TEXT NOT NULL,
                    item_id TEXT NOT NULL,
                    epoch INTEGER NOT NULL,
                    value REAL NOT NULL,
                    extracted TEXT,
                    explanation TEXT NOT NULL,
                    PRIMARY KEY (run_id, suite, item_id, epoch),
                    FOREIGN KEY (run_id, suite, item_id, epoch) REFERENCES samples (run_id, suite, item_id, epoch) ON DELETE CASCADE
                );
                CREATE TABLE IF NOT EXISTS comparisons (
                    id TEXT PRIMARY KEY,
                    created_utc TEXT NOT NULL,
                    baseline_run TEXT NOT NULL REFERENCES runs(id),
                    candidate_run TEXT NOT NULL REFERENCES runs(id),
                    verdict TEXT NOT NULL,
                    document TEXT NOT NULL
                );
                PRAGMA user_version = 1;
                """, cancellationToken);
        }

        if (current < 2)
        {
            // Version 2: each run's reliability record (retries and give-ups by cause, protections that acted) as JSON.
            await SqliteResultStore.ExecuteAsync(connection, """
                ALTER TABLE runs ADD COLUMN reliability TEXT;
                PRAGMA user_version = 2;
                """, cancellationToken);
        }

        if (current < 3)
        {
            // Version 3: the tool calls of an answer (so a cached answer keeps them) and a score's named checks, as JSON.
            await SqliteResultStore.ExecuteAsync(connection, """
                ALTER TABLE samples ADD COLUMN tool_calls TEXT;
                ALTER TABLE scores ADD COLUMN checks TEXT;
                PRAGMA user_version = 3;
                """, cancellationToken);
        }

        if (current < 4)
        {
            // Version 4: the shards of a sharded run, each with its state and its planned samples as JSON.
            await SqliteResultStore.ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS run_shards (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    shard_index INTEGER NOT NULL,
                    shard_count INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    updated_utc TEXT,
                    items TEXT NOT NULL,
                    PRIMARY KEY (run_id, shard_index)
                );
                PRAGMA user_version = 4;
                """, cancellationToken);
        }

        if (current < 5)
        {
            // Version 5: the release watch's sources and every model they listed, with each model's state and verdict.
            await SqliteResultStore.ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS watch_sources (
                    source TEXT PRIMARY KEY,
                    first_listed_utc TEXT NOT NULL,
                    last_listed_utc TEXT NOT NULL
                );
                CREATE TABLE IF NOT EXISTS watch_models (
                    source TEXT NOT NULL REFERENCES watch_sources(source),
                    model_id TEXT NOT NULL,
                    status TEXT NOT NULL,
                    listed INTEGER NOT NULL,
                    first_seen_utc TEXT NOT NULL,
                    last_listed_utc TEXT NOT NULL,
                    comparison_id TEXT,
                    verdict TEXT,
                    PRIMARY KEY (source, model_id)
                );
                PRAGMA user_version = 5;
                """, cancellationToken);
        }

        // Version 6: which tokenizer counted the usage a server did not report; null where the server reported it.
        await SqliteResultStore.ExecuteAsync(connection, """
            ALTER TABLE samples ADD COLUMN usage_tokenizer TEXT;
            PRAGMA user_version = 6;
            """, cancellationToken);
    }
}
