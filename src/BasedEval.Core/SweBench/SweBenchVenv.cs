using System.Text;

namespace BasedEval.Core.SweBench;

/// <summary>
/// The throwaway virtual environment of one evaluation, built by a <see cref="SweBenchRecipe"/>: it sees the recipe's
/// Debian packages (installed once per machine) and holds the checkout as an editable install made offline.
/// </summary>
internal static class SweBenchVenv
{
    /// <summary>The .pth that puts the recipe's Debian packages on the path, in a local environment and in an image alike.</summary>
    internal const string DebianPackagesPth = "zz_basedeval_debian_packages.pth";

    /// <summary>
    /// A .pth line: site executes it with its own locals, which a comprehension cannot see, hence one assignment per name. On a
    /// Python that still has the aliases they are the same objects.
    /// </summary>
    internal static readonly string CollectionsAliases = "import collections, collections.abc; "
        + string.Join("; ", ((string[])["Mapping", "MutableMapping", "Sequence", "MutableSequence", "Set", "MutableSet", "Callable", "Iterable", "Iterator", "Hashable", "Sized", "Container"])
            .Select(n => $"collections.{n} = collections.abc.{n}"))
        + "\n";

    /// <summary>
    /// Creates the environment in <paramref name="folder"/>; its python, or the reason it could not be made. It sees the
    /// recipe's Debian packages through a <see cref="DebianPackageView"/> beside it, as the repository's environment image
    /// holds them, and none of the machine's others; without dpkg it sees all of the interpreter's packages, as the log says.
    /// </summary>
    public static async Task<(string Python, string? Error)> CreateAsync(
        SweBenchCommands commands, string interpreter, SweBenchInstance instance, HttpbinStandIn? standIn, string folder, StringBuilder log, CancellationToken cancellationToken)
    {
        var recipe = SweBenchRecipe.For(instance.Repo, instance.Version);
        var view = Path.Combine(Path.GetDirectoryName(folder)!, "debian-packages");
        var missing = await DebianPackageView.CreateAsync(SweBenchRecipe.DebianPackages(instance.Repo), view, cancellationToken);
        if (missing is null)
        {
            log.Append("no dpkg-query here: the environment sees every package of the interpreter\n");
        }
        else if (missing.Count > 0)
        {
            log.Append($"not installed on this machine, the tests may miss them (Debian: apt-get install {string.Join(' ', missing)})\n");
        }

        string[] venvArguments = missing is null ? ["-m", "venv", "--system-site-packages", folder] : ["-m", "venv", folder];
        var python = Path.Combine(folder, "bin", "python");
        var create = await commands.RunAsync(Path.GetDirectoryName(folder)!, interpreter, venvArguments, commands.StepTimeout, cancellationToken);
        log.Append($"$ {interpreter} {string.Join(' ', venvArguments.SkipLast(1))} venv\n").Append(create.Output);
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

        if (missing is not null)
        {
            // site reads .pth files in name order and appends; this name sorts after easy-install.pth and the editable
            // finders, so the checkout shadows Debian's own copy of the same package (pytest) instead of the reverse.
            await File.WriteAllTextAsync(Path.Combine(sitePackages, DebianPackagesPth), view + "\n", cancellationToken);
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
