using BasedEval.Core.Config;
using Npgsql;

namespace BasedEval.Core.Storage.Postgres;

/// <summary>Where a PostgreSQL store is, with its password kept out of everything that is printed.</summary>
public sealed class PostgresAddress
{
    private PostgresAddress(string connectionString, string display)
    {
        ConnectionString = connectionString;
        Display = display;
    }

    /// <summary>Holds the password: only for opening connections.</summary>
    internal string ConnectionString { get; }

    /// <summary>user@host:port/database, for messages and `runs`.</summary>
    public string Display { get; }

    public override string ToString() => Display;

    public static bool IsPostgres(string store) =>
        store.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || store.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || store.Contains("host=", StringComparison.OrdinalIgnoreCase);

    /// <param name="fromEnvironment">The value came from an environment variable, where a password may be; evals.yaml is committed and may not hold one.</param>
    public static PostgresAddress Parse(string store, bool fromEnvironment)
    {
        ArgumentNullException.ThrowIfNull(store);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = store.Contains("://", StringComparison.Ordinal) ? FromUrl(store) : new NpgsqlConnectionStringBuilder(store);
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException or FormatException)
        {
            throw new ConfigException("the PostgreSQL store address cannot be read", "write it as postgres://user@host:5432/database, or as an Npgsql connection string (Host=…;Username=…;Database=…)");
        }

        if (!fromEnvironment && !string.IsNullOrEmpty(builder.Password))
        {
            throw new ConfigException("`store:` in evals.yaml holds a password", "remove it from the file; put the password in $PGPASSWORD, or the whole address in a variable and write `store: env:NAME`");
        }

        if (string.IsNullOrEmpty(builder.Password) && Environment.GetEnvironmentVariable("PGPASSWORD") is { Length: > 0 } password)
        {
            builder.Password = password;
        }

        builder.ApplicationName ??= "basedeval";
        var display = $"{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        return new PostgresAddress(builder.ConnectionString, display);
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string url)
    {
        var uri = new Uri(url);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            builder[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : string.Empty;
        }

        return builder;
    }
}
