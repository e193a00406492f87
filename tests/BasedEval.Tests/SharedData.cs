namespace BasedEval.Tests;

/// <summary>
/// Finds the real public data that lives beside the repository (../shared/data), so tests can use it
/// where it exists and skip with a stated reason where it does not.
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string?> Root = new(FindRoot);

    public static string? Directory => Root.Value;

    /// <summary>The absolute path of a file or folder under shared/data; skips the calling test when it is absent.</summary>
    public static string Require(string relativePath)
    {
        var root = Root.Value;
        Prerequisite.Require(root is not null, "../shared/data is absent: the real public datasets live beside the repository, not in it");
        var path = Path.Combine(root!, relativePath);
        Prerequisite.Require(File.Exists(path) || System.IO.Directory.Exists(path), $"{path} is absent from the shared data folder");
        return path;
    }

    private static string? FindRoot()
    {
        var overridden = Environment.GetEnvironmentVariable("BASEDEVAL_SHARED_DATA");
        if (!string.IsNullOrEmpty(overridden))
        {
            return System.IO.Directory.Exists(overridden) ? overridden : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
