using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BasedEval.Core.Scoring.Execution;

namespace BasedEval.Core.SweBench;

/// <summary>
/// httpbin.org on loopback for the tests of old psf/requests, which call it over HTTP and HTTPS. The tests run inside private
/// user, network, mount and PID namespaces where <c>/etc/hosts</c> names loopback for httpbin.org and Debian's httpbin is
/// served by gunicorn on ports 80 and 443 under a certificate made for the run. The namespace has no interface but loopback,
/// so nothing can reach another machine, and the servers die with the test run.
/// </summary>
public sealed class HttpbinStandIn
{
    /// <summary>Adds a mount namespace to the usual isolation, so that the bind mount over /etc/hosts stays inside it.</summary>
    public static IReadOnlyList<string> UnshareArguments { get; } = ["--user", "--map-root-user", "--net", "--mount", "--pid", "--fork", "--kill-child", "--"];

    /// <summary>
    /// Started by <c>/bin/sh</c> as the namespace's first process; the test command replaces it, so its exit ends the servers.
    /// gunicorn, not Werkzeug's development server, because tests upload chunked bodies and check keep-alive (the threaded
    /// worker keeps connections open; the default sync worker closes each one).
    /// </summary>
    private const string Script = """
        set -e
        ip link set lo up
        # Tests expect a connection to 10.255.255.1 to time out: routed into loopback, where nothing answers, it does.
        ip route add 10.255.255.1/32 dev lo
        # A container gets the names from its engine (--add-host) and may not mount; a namespace of unshare must mount.
        grep -q httpbin.org /etc/hosts || mount --bind "$BASEDEVAL_STANDIN/hosts" /etc/hosts
        "$BASEDEVAL_STANDIN_PYTHON" -m gunicorn --log-level warning -b 127.0.0.1:80 -w 2 -k gthread --threads 8 httpbin:app &
        "$BASEDEVAL_STANDIN_PYTHON" -m gunicorn --log-level warning -b 127.0.0.1:443 -w 1 -k gthread --threads 8 \
          --certfile "$BASEDEVAL_STANDIN/cert.pem" --keyfile "$BASEDEVAL_STANDIN/key.pem" httpbin:app &
        "$BASEDEVAL_STANDIN_PYTHON" -c '
        import socket, sys, time
        deadline = time.monotonic() + 30
        for port in (80, 443):
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        sys.exit("the httpbin stand-in did not start on port %d" % port)
                    time.sleep(0.1)
        '
        exec "$@"
        """;

    /// <summary>
    /// httpbin.org and the outside host one test is redirected to; both resolve to loopback, so a redirect "off host" is still
    /// answered by the stand-in.
    /// </summary>
    private const string Hosts = "127.0.0.1 localhost httpbin.org www.google.co.uk\n::1 localhost\n";

    /// <summary>The names <see cref="Hosts"/> points at loopback, as a container engine's extra hosts take them.</summary>
    public static IReadOnlyList<string> LoopbackNames { get; } = ["httpbin.org:127.0.0.1", "www.google.co.uk:127.0.0.1"];

    private readonly string _folder;
    private readonly string _serverPython;

    private HttpbinStandIn(string folder, string serverPython)
    {
        _folder = folder;
        _serverPython = serverPython;
    }

    private string Certificate => Path.Combine(_folder, "cert.pem");

    /// <summary>The launcher that goes between <see cref="UnshareArguments"/> and the test command.</summary>
    public IReadOnlyList<string> Launcher => ["/bin/sh", Path.Combine(_folder, "standin.sh")];

    /// <summary>
    /// The launcher's settings, and the certificate as the trusted bundle: requests reads REQUESTS_CA_BUNDLE, urllib3 and the
    /// standard library read SSL_CERT_FILE. A wide terminal keeps whole exception messages on pytest's summary lines, where a
    /// test that needed an outside address is recognized (see <see cref="EnvironmentLimits"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["COLUMNS"] = "1000",
        ["BASEDEVAL_STANDIN"] = _folder,
        ["BASEDEVAL_STANDIN_PYTHON"] = _serverPython,
        ["REQUESTS_CA_BUNDLE"] = Certificate,
        ["SSL_CERT_FILE"] = Certificate,
    };

    /// <summary>Why the stand-in cannot be served by <paramref name="serverPython"/>, or null when it can.</summary>
    public static async Task<string?> UnavailableReasonAsync(string serverPython, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(serverPython);
        foreach (var tool in (string[])["ip", "mount"])
        {
            if (ChildProcess.FindOnPath(tool) is null)
            {
                return $"{tool} was not found on PATH; the httpbin stand-in needs it (Debian: apt-get install iproute2 mount)";
            }
        }

        var start = new ProcessStartInfo(serverPython, ["-c", "import httpbin, gunicorn"]) { WorkingDirectory = Path.GetTempPath() };
        var run = await ChildProcess.RunAsync(start, TimeSpan.FromSeconds(60), 1 << 16, cancellationToken);
        return run.ExitCode == 0 ? null : $"{serverPython} cannot import httpbin and gunicorn for the httpbin stand-in; Debian: apt-get install python3-httpbin python3-gunicorn";
    }

    /// <summary>Writes the launcher, the hosts file and a fresh self-signed certificate for httpbin.org into <paramref name="folder"/>.</summary>
    public static async Task<HttpbinStandIn> CreateAsync(string folder, string serverPython, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(serverPython);
        Directory.CreateDirectory(folder);
        var standIn = new HttpbinStandIn(Path.GetFullPath(folder), serverPython);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=httpbin.org", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("httpbin.org");
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());

        // Its own authority: the one certificate is both what the server presents and what the clients trust.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        await File.WriteAllTextAsync(standIn.Certificate, certificate.ExportCertificatePem() + "\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "key.pem"), key.ExportPkcs8PrivateKeyPem() + "\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "hosts"), Hosts, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "standin.sh"), Script + "\n", cancellationToken);
        return standIn;
    }

    /// <summary>
    /// A <c>certifi</c> in the virtual environment whose bundle is the stand-in's certificate: most requests releases of those
    /// years take their default bundle from certifi when they can import it, and some tests send without the environment's
    /// settings, so REQUESTS_CA_BUNDLE alone does not reach them.
    /// </summary>
    public async Task WriteCertifiAsync(string sitePackages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sitePackages);
        var package = Path.Combine(sitePackages, "certifi");
        Directory.CreateDirectory(package);
        await File.WriteAllTextAsync(Path.Combine(package, "__init__.py"), $"def where():\n    return {PythonString(Certificate)}\n", cancellationToken);
    }

    private static string PythonString(string text) => "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
