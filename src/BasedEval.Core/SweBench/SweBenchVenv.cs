using System.Text;

namespace BasedEval.Core.SweBench;

/// <summary>
/// The throwaway virtual environment of one evaluation, built by a <see cref="SweBenchRecipe"/>: it sees the interpreter's
/// packages (Debian's, installed once per machine) and holds the checkout as an editable install made offline.
/// </summary>
internal static class SweBenchVenv
{
    /// <summary>Where Debian puts its pure-Python packages; an older Python borrows them from there.</summary>
    private const string DebianPackages = "/usr/lib/python3/dist-packages";

    /// <summary>
    /// A .pth line: site executes it with its own locals, which a comprehension cannot see, hence one assignment per name. On a
    /// Python that still has the aliases they are the same objects.
    /// </summary>
    internal static readonly string CollectionsAliases = "import collections, collections.abc; "
        + string.Join("; ", ((string[])["Mapping", "MutableMapping", "Sequence", "MutableSequence", "Set", "MutableSet", "Callable", "Iterable", "Iterator", "Hashable", "Sized", "Container"])
            .Select(n => $"collections.{n} = collections.abc.{n}"))
        + "\n";

    /// <summary>Creates the environment in <paramref name="folder"/>; its python, or the reason it could not be made.</summary>
    public static async Task<(string Python, string? Error)> CreateAsync(
        SweBenchCommands commands, string interpreter, SweBenchRecipe recipe, HttpbinStandIn? standIn, string folder, StringBuilder log, CancellationToken cancellationToken)
    {
        var python = Path.Combine(folder, "bin", "python");
        var create = await commands.RunAsync(Path.GetDirectoryName(folder)!, interpreter, ["-m", "venv", "--system-site-packages", folder], commands.StepTimeout, cancellationToken);
        log.Append($"$ {interpreter} -m venv --system-site-packages venv\n").Append(create.Output);
        var sitePackages = create.ExitCode == 0
            ? Directory.GetDirectories(Path.Combine(folder, "lib"), "python*").Select(d => Path.Combine(d, "site-packages")).FirstOrDefault(Directory.Exists)
            : null;
        if (sitePackages is null)
        {
            return (python, $"cannot create a virtual environment with {interpreter} ({SweBenchCommands.LastLine(create.Output)}); Debian: apt-get install python3-venv");
        }

        if (recipe.CollectionsAliases)
        {
            await File.WriteAllTextAsync(Path.Combine(sitePackages, "basedeval_collections_aliases.pth"), CollectionsAliases, cancellationToken);
        }

        if (recipe.OlderPython && Directory.Exists(DebianPackages))
        {
            // site reads .pth files in name order and appends; this name sorts after easy-install.pth and the editable
            // finders, so the checkout shadows Debian's own copy of the same package (pytest) instead of the reverse.
            await File.WriteAllTextAsync(Path.Combine(sitePackages, "zz_basedeval_debian_packages.pth"), DebianPackages + "\n", cancellationToken);
        }

        if (standIn is not null)
        {
            await standIn.WriteCertifiAsync(sitePackages, cancellationToken);
        }

        return (python, null);
    }

    /// <summary>Installs the checkout editable, offline and without its dependencies; null when it worked, else why not.</summary>
    public static async Task<string?> InstallAsync(SweBenchCommands commands, string python, string work, StringBuilder log, CancellationToken cancellationToken)
    {
        var install = await commands.RunAsync(work, python, ["-m", "pip", "install", "--no-index", "--no-deps", "--no-build-isolation", "-e", "."], commands.StepTimeout, cancellationToken, isolated: true);
        log.Append("$ python -m pip install --no-index --no-deps --no-build-isolation -e .\n").Append(install.Output);
        return install.ExitCode == 0 ? null : $"the checkout does not install into the virtual environment offline: {SweBenchCommands.LastLine(install.Output)}";
    }
}
