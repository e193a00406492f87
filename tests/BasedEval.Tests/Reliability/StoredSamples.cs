using Microsoft.Data.Sqlite;

namespace BasedEval.Tests.Reliability;

/// <summary>
/// Counts the samples another process has committed to a SQLite store, read-only and without taking its lock, so a test
/// can kill that process once the store, not the server, says enough was saved: how far the writer lags behind the
/// answers depends on how busy the machine is.
/// </summary>
internal static class StoredSamples
{
    public static int Count(string storePath, string? targetName = null)
    {
        if (!File.Exists(storePath))
        {
            return 0;
        }

        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = storePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = targetName is null
                ? "SELECT COUNT(*) FROM samples;"
                : "SELECT COUNT(*) FROM samples JOIN runs ON runs.id = samples.run_id WHERE runs.target_name = $target;";
            command.Parameters.AddWithValue("$target", (object?)targetName ?? DBNull.Value);
            return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (SqliteException)
        {
            // The schema is still being created: nothing is committed yet.
            return 0;
        }
    }
}
