using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace BasedEval.Core.Storage;

/// <summary>The shards of a sharded run, when its shards write SQLite files that `merge` combines later.</summary>
public sealed partial class SqliteResultStore
{
    public async Task PlanShardsAsync(IReadOnlyList<ShardRecord> shards, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var transaction = _connection.BeginTransaction();
            using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO run_shards (run_id, shard_index, shard_count, status, updated_utc, items)
                VALUES ($run, $index, $count, $status, $updated, $items)
                ON CONFLICT(run_id, shard_index) DO NOTHING;
                """;
            foreach (var name in new[] { "$run", "$index", "$count", "$status", "$updated", "$items" })
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            foreach (var shard in shards)
            {
                command.Parameters["$run"].Value = shard.RunId;
                command.Parameters["$index"].Value = shard.Index;
                command.Parameters["$count"].Value = shard.Count;
                command.Parameters["$status"].Value = shard.Status.ToString();
                command.Parameters["$updated"].Value = shard.UpdatedUtc is { } at ? Iso(at) : DBNull.Value;
                command.Parameters["$items"].Value = JsonSerializer.Serialize(shard.Items);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(CancellationToken.None);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task SetShardStatusAsync(string runId, int index, ShardStatus status, DateTimeOffset updatedUtc, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "UPDATE run_shards SET status = $status, updated_utc = $updated WHERE run_id = $run AND shard_index = $index;";
            command.Parameters.AddWithValue("$status", status.ToString());
            command.Parameters.AddWithValue("$updated", Iso(updatedUtc));
            command.Parameters.AddWithValue("$run", runId);
            command.Parameters.AddWithValue("$index", index);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<IReadOnlyList<ShardRecord>> GetShardsAsync(string runId, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT shard_index, shard_count, status, updated_utc, items FROM run_shards WHERE run_id = $run ORDER BY shard_index;";
            command.Parameters.AddWithValue("$run", runId);
            var shards = new List<ShardRecord>();
            using var r = await command.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
            {
                shards.Add(new ShardRecord(
                    runId,
                    r.GetInt32(0),
                    r.GetInt32(1),
                    Enum.Parse<ShardStatus>(r.GetString(2)),
                    r.IsDBNull(3) ? null : ParseIso(r.GetString(3)),
                    JsonSerializer.Deserialize<PlannedKey[]>(r.GetString(4)) ?? []));
            }

            return shards;
        }
        finally
        {
            _lock.Release();
        }
    }
}
