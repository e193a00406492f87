namespace BasedEval.Benchmarks.LlamaCpp;

/// <summary>The real GGUF beside the repository (../shared/data, or BASEDEVAL_SHARED_DATA).</summary>
internal static class BenchmarkModel
{
    private const string RelativePath = "models/llama-2-tiny-random.gguf";

    public static string Path() => SharedFile(RelativePath);

    /// <summary>A file or folder under the shared data folder.</summary>
    public static string SharedFile(string relativePath)
    {
        var overridden = Environment.GetEnvironmentVariable("BASEDEVAL_SHARED_DATA");
        var roots = string.IsNullOrEmpty(overridden) ? Ancestors(AppContext.BaseDirectory).Select(d => System.IO.Path.Combine(d, "shared", "data")) : [overridden];
        return roots.Select(r => System.IO.Path.Combine(r, relativePath)).FirstOrDefault(p => File.Exists(p) || Directory.Exists(p))
            ?? throw new FileNotFoundException($"{relativePath} is not in ../shared/data; set BASEDEVAL_SHARED_DATA to the shared data folder");
    }

    private static IEnumerable<string> Ancestors(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            yield return dir.FullName;
        }
    }
}
