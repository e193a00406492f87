using BasedEval.Core.Config;
using Microsoft.Data.Sqlite;

namespace BasedEval.Core.Storage;

/// <summary>
/// The store cannot be used right now: another process holds it locked past <c>store_timeout_s</c>. A run error (exit 4),
/// not bad input: nothing was lost, and the same command succeeds once the other process lets go.
/// </summary>
public sealed class StoreBusyException(string message, Exception inner) : Exception(message, inner);

/// <summary>Turns SQLite's result codes into errors that name the store file, say what is wrong with it and how to fix it.</summary>
internal static class SqliteErrors
{
    private const int Busy = 5;
    private const int Locked = 6;
    private const int ReadOnly = 8;
    private const int CannotOpen = 14;
    private const int NotADatabase = 26;

    public static bool IsBusy(SqliteException e) => e.SqliteErrorCode is Busy or Locked;

    /// <summary>The error to show for <paramref name="e"/> on the store at <paramref name="path"/>.</summary>
    public static Exception Describe(SqliteException e, string path, TimeSpan timeout)
    {
        var folder = System.IO.Path.GetDirectoryName(path)!;
        return e.SqliteErrorCode switch
        {
            Busy or Locked => new StoreBusyException(
                $"the result store `{path}` stayed locked by another process for {timeout.TotalSeconds:0.#} s ({e.Message})\n"
                + "  fix: let the other BasedEval process (or sqlite3 shell) finish, or raise `store_timeout_s` in evals.yaml; nothing was lost, run the same command again", e),
            ReadOnly => new ConfigException(
                $"the result store `{path}` cannot be written: it or its folder is read-only ({e.Message})",
                $"make the file and `{folder}` writable (chmod u+w; chattr -i where the file is immutable), or point `store:` in evals.yaml at a writable location; nothing was changed"),
            CannotOpen => new ConfigException(
                $"the result store `{path}` cannot be opened: {e.Message}",
                $"check that `{folder}` exists and is writable (SQLite keeps its -wal and -shm files beside the store), or point `store:` in evals.yaml elsewhere; nothing was changed"),
            NotADatabase => new ConfigException(
                $"the result store `{path}` cannot be opened: it is not a SQLite database ({e.Message})",
                "move the file aside or point `store:` in evals.yaml elsewhere; nothing was changed"),
            _ => new ConfigException(
                $"the result store `{path}` cannot be used: {e.Message}",
                "if the file is not a BasedEval SQLite database, move it aside or point `store:` in evals.yaml elsewhere; nothing was changed"),
        };
    }
}
