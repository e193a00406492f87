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
}
