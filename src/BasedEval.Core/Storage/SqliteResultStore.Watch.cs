using Microsoft.Data.Sqlite;

namespace BasedEval.Core.Storage;

/// <summary>The release watch's memory: which models each source listed, and which of them were evaluated.</summary>
public sealed partial class SqliteResultStore
{
    public async Task<WatchedSource?> GetWatchedSourceAsync(string source, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                SELECT first_listed_utc FROM watch_sources WHERE source = $source;
                SELECT model_id, status, listed, first_seen_utc, last_listed_utc, comparison_id, verdict FROM watch_models WHERE source = $source ORDER BY model_id;
                """;
            command.Parameters.AddWithValue("$source", source);
            using var r = await command.ExecuteReaderAsync(cancellationToken);
            if (!await r.ReadAsync(cancellationToken))
            {
                return null;
            }

            var firstListed = ParseIso(r.GetString(0));
            await r.NextResultAsync(cancellationToken);
            var models = new List<WatchedModel>();
            while (await r.ReadAsync(cancellationToken))
            {
                models.Add(new WatchedModel(
                    source,
                    r.GetString(0),
                    Enum.Parse<WatchedStatus>(r.GetString(1)),
                    r.GetInt64(2) != 0,
                    ParseIso(r.GetString(3)),
                    ParseIso(r.GetString(4)),
                    r.IsDBNull(5) ? null : r.GetString(5),
                    r.IsDBNull(6) ? null : r.GetString(6)));
            }

            return new WatchedSource(source, firstListed, models);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task SaveWatchedAsync(string source, DateTimeOffset listedUtc, IReadOnlyList<WatchedModel> models, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(models);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var transaction = _connection.BeginTransaction();
            using (var sourceCommand = _connection.CreateCommand())
            {
                sourceCommand.Transaction = transaction;
                sourceCommand.CommandText = """
                    INSERT INTO watch_sources (source, first_listed_utc, last_listed_utc) VALUES ($source, $listed, $listed)
                    ON CONFLICT(source) DO UPDATE SET last_listed_utc = excluded.last_listed_utc;
                    """;
                sourceCommand.Parameters.AddWithValue("$source", source);
                sourceCommand.Parameters.AddWithValue("$listed", Iso(listedUtc));
                await sourceCommand.ExecuteNonQueryAsync(cancellationToken);
            }

            using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                INSERT OR REPLACE INTO watch_models (source, model_id, status, listed, first_seen_utc, last_listed_utc, comparison_id, verdict)
                VALUES ($source, $model, $status, $listed, $first, $last, $comparison, $verdict);
                """;
            foreach (var name in new[] { "$source", "$model", "$status", "$listed", "$first", "$last", "$comparison", "$verdict" })
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            foreach (var model in models)
            {
                command.Parameters["$source"].Value = source;
                command.Parameters["$model"].Value = model.ModelId;
                command.Parameters["$status"].Value = model.Status.ToString();
                command.Parameters["$listed"].Value = model.Listed ? 1 : 0;
                command.Parameters["$first"].Value = Iso(model.FirstSeenUtc);
                command.Parameters["$last"].Value = Iso(model.LastListedUtc);
                command.Parameters["$comparison"].Value = (object?)model.ComparisonId ?? DBNull.Value;
                command.Parameters["$verdict"].Value = (object?)model.Verdict ?? DBNull.Value;
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(CancellationToken.None);
        }
        finally
        {
            _lock.Release();
        }
    }
}
