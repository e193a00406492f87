using System.Reflection;

namespace BasedEval.Cli;

/// <summary>One file of the default job as the tool carries it: its path under the folder `init` writes, and its bytes.</summary>
internal sealed record StarterFile(string RelativePath, string ResourceName)
{
    public Stream Open() => typeof(StarterFile).Assembly.GetManifestResourceStream(ResourceName)!;

    /// <summary>Written under a temporary name and renamed into place, so an interrupted init never leaves half a file.</summary>
    public async Task WriteToAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var source = Open())
            await using (var destination = File.Create(temporary))
            {
                await source.CopyToAsync(destination, cancellationToken);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

/// <summary>The repository's evals.yaml, suites and releases note, embedded at build time (see the project file).</summary>
internal static class StarterFiles
{
    private const string Prefix = "starter/";

    public static IReadOnlyList<StarterFile> All { get; } =
    [
        .. Assembly.GetExecutingAssembly().GetManifestResourceNames()
            .Where(name => name.StartsWith(Prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name => new StarterFile(name[Prefix.Length..].Replace('/', Path.DirectorySeparatorChar), name)),
    ];
}
