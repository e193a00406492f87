using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace BasedEval.Tests.Scale;

/// <summary>
/// A real PostgreSQL server of its own for a test class: initdb in a temporary folder, then pg_ctl on a free loopback
/// port with password authentication, so the store is tested the way a team's server is reached. PostgreSQL refuses to
/// run as root, so as root it runs as the `postgres` user Debian's package creates.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string Password = "s3cret-for-tests";

    private string? _data;

    public string? Unavailable { get; private set; }

    public int Port { get; private set; }

    /// <summary>The address as evals.yaml may hold it: no password.</summary>
    public string Url => $"postgres://basedeval@127.0.0.1:{Port}/postgres";

    public string UrlWithPassword => $"postgres://basedeval:{Password}@127.0.0.1:{Port}/postgres";

    private static string? BinDirectory =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).Order(StringComparer.Ordinal).LastOrDefault()
            : null;

    public async ValueTask InitializeAsync()
    {
        if (BinDirectory is not { } bin)
        {
            Unavailable = "PostgreSQL is not installed (Debian package postgresql: initdb under /usr/lib/postgresql/*/bin)";
            return;
        }

        _data = Directory.CreateTempSubdirectory("basedeval-pg-").FullName;
        var passwordFile = Path.Combine(_data, "password");
        await File.WriteAllTextAsync(passwordFile, Password);
        var cluster = Path.Combine(_data, "cluster");
        if (Environment.IsPrivilegedProcess)
        {
            await RunAsync("chown", "-R", "postgres", _data);
        }

        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        await RunAsync(Path.Combine(bin, "initdb"), "-D", cluster, "-U", "basedeval", "--auth=scram-sha-256", $"--pwfile={passwordFile}", "--no-sync");
        await RunAsync(Path.Combine(bin, "pg_ctl"), "-D", cluster, "-w", "-l", Path.Combine(_data, "server.log"),
            "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -k {_data} -c fsync=off -c max_connections=200", "start");
    }

    public async ValueTask DisposeAsync()
    {
        if (_data is null)
        {
            return;
        }

        try
        {
            if (BinDirectory is { } bin && Unavailable is null)
            {
                await RunAsync(Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(_data, "cluster"), "-m", "immediate", "stop");
            }
        }
#pragma warning disable CA1031 // Cleanup must never mask the test's own outcome.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        Cleanup.DeleteFolder(_data);
    }

    /// <summary>As root, the server's programs run as the postgres user, which initdb requires; chown stays root's.</summary>
    private static Task<string> RunAsync(string program, params string[] arguments) =>
        Environment.IsPrivilegedProcess && program != "chown"
            ? Programs.RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments])
            : Programs.RunAsync(program, arguments);
}
