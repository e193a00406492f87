using System.Diagnostics;
using System.Text;
using BasedEval.Core.Scoring.Execution;

namespace BasedEval.Core.SweBench;

/// <summary>
/// The Debian packages of one recipe as a folder of links into <c>/usr/lib/python3/dist-packages</c>: the named packages,
/// the test runner, pip and everything they depend on, and nothing else of the machine. A local environment built on it sees
/// what the repository's environment image holds; one that saw every package the machine has loaded, for example, the
/// pytest-benchmark plugin installed for pylint into pytest's own tests, where it fails on pytest 8.
/// </summary>
internal static class DebianPackageView
{
    /// <summary>Where Debian puts its pure-Python packages.</summary>
    public const string DistPackages = "/usr/lib/python3/dist-packages";

    /// <summary>
    /// What every environment image holds besides the recipe's packages (<see cref="SweBenchImages"/>): the test runner, and
    /// pip with the setuptools and wheel that an editable install builds with.
    /// </summary>
    private static readonly string[] EveryImage = ["python3-pytest", "python3-pip"];

    /// <summary>
    /// Fills <paramref name="folder"/> with links to the top-level modules and metadata of <paramref name="packages"/>, what every
    /// image holds and their dependencies; returns the named packages this machine does not have, or null when there is no dpkg here.
    /// </summary>
    public static async Task<IReadOnlyList<string>?> CreateAsync(IEnumerable<string> packages, string folder, CancellationToken cancellationToken)
    {
        if (ChildProcess.FindOnPath("dpkg-query") is not { } dpkgQuery)
        {
            return null;
        }

        var installed = Parse(await QueryAsync(dpkgQuery, ["-W", "-f=${Package}\t${db:Status-Abbrev}\t${Depends}, ${Pre-Depends}\t${Provides}\n"], cancellationToken));
        var wanted = packages.Concat(EveryImage).Distinct(StringComparer.Ordinal).ToList();
        var missing = wanted.Where(p => !installed.ContainsKey(p)).ToList();
        var closure = Closure(wanted.Where(installed.ContainsKey), installed);

        Directory.CreateDirectory(folder);
        var files = await QueryAsync(dpkgQuery, ["-L", .. closure.Order(StringComparer.Ordinal)], cancellationToken);
        foreach (var entry in TopLevelEntries(files))
        {
            var link = Path.Combine(folder, entry);
            if (!Path.Exists(link))
            {
                File.CreateSymbolicLink(link, Path.Combine(DistPackages, entry));
            }
        }

        return missing;
    }

    /// <summary>The installed packages by name (virtual names they provide included), each with the names it depends on.</summary>
    internal static Dictionary<string, IReadOnlyList<string>> Parse(string query)
    {
        var packages = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var fields in query.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')))
        {
            // "ii " is installed; "rc" and the like leave configuration files only.
            if (fields.Length < 4 || !fields[1].StartsWith("ii", StringComparison.Ordinal))
            {
                continue;
            }

            var depends = Names(fields[2]).ToList();
            packages[fields[0]] = depends;
            foreach (var provided in Names(fields[3]))
            {
                packages.TryAdd(provided, [fields[0]]);
            }
        }

        return packages;
    }

    /// <summary>The top-level names under dist-packages among the lines of <c>dpkg-query -L</c>.</summary>
    internal static SortedSet<string> TopLevelEntries(string fileList)
    {
        var entries = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in fileList.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith(DistPackages + "/", StringComparison.Ordinal))
            {
                entries.Add(line[(DistPackages.Length + 1)..].Split('/')[0]);
            }
        }

        return entries;
    }

    /// <summary>
    /// Every installed package the roots need. Each installed alternative of "a | b" is taken: which one apt chose depends on
    /// the Python version, and an older Python borrows these packages too.
    /// </summary>
    private static HashSet<string> Closure(IEnumerable<string> roots, Dictionary<string, IReadOnlyList<string>> installed)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(roots);
        while (pending.TryPop(out var name))
        {
            if (seen.Add(name) && installed.TryGetValue(name, out var depends))
            {
                foreach (var next in depends.Where(installed.ContainsKey))
                {
                    pending.Push(next);
                }
            }
        }

        return seen;
    }

    /// <summary>Package names of a Depends or Provides field: versions, architectures and the alternatives' bars dropped.</summary>
    private static IEnumerable<string> Names(string field) =>
        field.Split([',', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split([' ', '('], 2)[0].Split(':')[0])
            .Where(n => n.Length > 0);

    private static async Task<string> QueryAsync(string dpkgQuery, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var run = await ChildProcess.RunAsync(new ProcessStartInfo(dpkgQuery, arguments), TimeSpan.FromMinutes(1), 64 << 20, cancellationToken);

        // The closure holds virtual names (python3:any's providers, Provides) too: -L says each is not a package and exits 1
        // after listing every real one, so its listing is used whenever there is one.
        return run.ExitCode == 0 || run.Output.Length > 0
            ? run.Output
            : throw new InvalidOperationException($"dpkg-query {string.Join(' ', arguments.Take(2))} failed: {SweBenchCommands.LastLine(run.Output)}");
    }
}
