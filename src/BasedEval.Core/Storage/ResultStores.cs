using BasedEval.Core.Config;
using BasedEval.Core.Storage.Postgres;

namespace BasedEval.Core.Storage;

/// <summary>
/// Opens the store `store:` names: a SQLite file path, or a PostgreSQL server as `postgres://user@host:port/db` or an
/// Npgsql connection string. `env:NAME` takes the whole value from that environment variable, so a connection string
/// with its password never sits in evals.yaml; a URL written in the file gets its password from $PGPASSWORD.
/// </summary>
public static class ResultStores
{
    public const string EnvironmentPrefix = "env:";

    /// <summary>True for what is not a file path, so config loading leaves it as written.</summary>
    public static bool IsServer(string store) =>
        store.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) || PostgresAddress.IsPostgres(store);

    /// <param name="timeout">How long a SQLite store locked by another process is waited for (<c>store_timeout_s</c>).</param>
    /// <param name="waiting">Told when that wait begins.</param>
    public static async Task<IResultStore> OpenAsync(string store, CancellationToken cancellationToken, TimeSpan? timeout = null, Action<string>? waiting = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (store.StartsWith(EnvironmentPrefix, StringComparison.Ordinal))
        {
            var name = store[EnvironmentPrefix.Length..];
            var value = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new ConfigException($"`store: {store}` names the environment variable {name}, which is not set", $"export {name}=postgres://user:password@host:5432/database (or a path to a SQLite file)");
            }

            return PostgresAddress.IsPostgres(value)
                ? await PostgresResultStore.OpenAsync(PostgresAddress.Parse(value, fromEnvironment: true), cancellationToken)
                : await SqliteResultStore.OpenAsync(value, cancellationToken, timeout, waiting);
        }

        return PostgresAddress.IsPostgres(store)
            ? await PostgresResultStore.OpenAsync(PostgresAddress.Parse(store, fromEnvironment: false), cancellationToken)
            : await SqliteResultStore.OpenAsync(store, cancellationToken, timeout, waiting);
    }
}
