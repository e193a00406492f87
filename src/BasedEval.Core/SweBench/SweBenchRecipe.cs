using System.Globalization;

namespace BasedEval.Core.SweBench;

/// <summary>
/// How the virtual environment of one repository at one version is built, so that its gold patches resolve on a machine with
/// Debian's Python packages and no network.
/// </summary>
/// <param name="OlderPython">Run on <see cref="LocalSweBenchOptions.OlderPython"/> (3.9) rather than Debian's 3.11.</param>
/// <param name="CollectionsAliases">Restore the <c>collections</c> aliases of <c>collections.abc</c> that Python 3.10 removed.</param>
/// <param name="Httpbin">Serve the tests' httpbin.org on loopback; see <see cref="HttpbinStandIn"/>.</param>
public sealed record SweBenchRecipe(bool OlderPython, bool CollectionsAliases, bool Httpbin)
{
    /// <summary>For a repository no recipe names: Debian's Python, with the aliases, which cost nothing where they are not used.</summary>
    public static SweBenchRecipe Default { get; } = new(OlderPython: false, CollectionsAliases: true, Httpbin: false);

    /// <summary>The recipe for an instance's repository (<c>owner/name</c>) at its SWE-bench version (<c>major.minor</c>).</summary>
    public static SweBenchRecipe For(string repo, string version)
    {
        ArgumentNullException.ThrowIfNull(repo);
        ArgumentNullException.ThrowIfNull(version);
        var major = int.TryParse(version.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : int.MaxValue;
        return repo switch
        {
            // Requests of 2012–2016 vendors urllib3 and chardet that import collections.Mapping, and its tests call httpbin.org.
            "psf/requests" => new(OlderPython: false, CollectionsAliases: true, Httpbin: true),

            // marshmallow 2.x imports collections.Mapping; 3.x was written for collections.abc.
            "marshmallow-code/marshmallow" => new(OlderPython: false, CollectionsAliases: major < 3, Httpbin: false),

            // pytest before 7 rewrites assertions into trees that Python 3.11 rejects ("required field lineno missing from
            // alias"), and tests of 7.x expect 3.9's wording of syntax errors; on 3.9 they pass, and the Debian packages its
            // tests import are pure Python, so they load there too.
            "pytest-dev/pytest" => new(OlderPython: major < 8, CollectionsAliases: false, Httpbin: false),

            // Flask 2.x and pylint 2.13+ use collections.abc themselves.
            "pallets/flask" or "pylint-dev/pylint" => new(OlderPython: false, CollectionsAliases: false, Httpbin: false),
            _ => Default,
        };
    }

    /// <summary>
    /// The Debian packages the tests of <paramref name="repo"/> import beyond python3 and pytest: what the Docker back-end
    /// installs in the repository's environment images, and what this machine needs for the local back-end.
    /// </summary>
    public static IReadOnlyList<string> DebianPackages(string repo) => repo switch
    {
        "psf/requests" => ["python3-httpbin", "python3-gunicorn", "iproute2", "python3-simplejson"],
        "marshmallow-code/marshmallow" => ["python3-tz", "python3-simplejson", "python3-dateutil"],
        // No hypothesis, as in the official harness's environments (no listed test needs it): bookworm's pulls in
        // exceptiongroup, which on Python 3.9 changes how a traceback prints an exception whose str() fails (pytest-5495).
        "pytest-dev/pytest" =>
        [
            "python3-setuptools", "python3-setuptools-scm", "python3-wcwidth", "python3-xmlschema",
            "python3-atomicwrites", "python3-mock", "python3-nose", "python3-toml", "python3-tomli", "python3-attr", "python3-more-itertools",
            "python3-pluggy", "python3-py", "python3-packaging", "python3-iniconfig",
        ],
        "pallets/flask" => ["python3-werkzeug", "python3-jinja2", "python3-itsdangerous", "python3-click", "python3-blinker", "python3-dotenv", "python3-asgiref", "python3-greenlet"],

        // pylint's tests also want astroid at the version its requirements_test_min.txt pins, which Debian does not have.
        "pylint-dev/pylint" =>
        [
            "python3-setuptools", "python3-dill", "python3-platformdirs", "python3-isort", "python3-mccabe", "python3-tomlkit",
            "python3-typing-extensions", "python3-lazy-object-proxy", "python3-wrapt", "python3-pytest-timeout", "python3-pytest-benchmark",
            "python3-astroid",
        ],
        _ => [],
    };
}
