namespace BasedEval.Tests.Suites;

/// <summary>The sample suites committed under suites/ at the repository root, found from the test binaries' folder.</summary>
internal static class SampleSuites
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string MmluTest => Path.Combine(Root.Value, "mmlu-sample", "test");

    public static string MmluRoot => Path.Combine(Root.Value, "mmlu-sample");

    public static string Gpqa => Path.Combine(Root.Value, "gpqa-sample", "gpqa_sample.csv");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BasedEval.sln")))
            {
                return Path.Combine(dir.FullName, "suites");
            }
        }

        throw new InvalidOperationException($"No BasedEval.sln above {AppContext.BaseDirectory}; the sample suites live in suites/ beside it.");
    }
}

/// <summary>A scratch folder for CSV files a test writes, removed afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "basedeval-suites-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string relativePath, string content) => WriteBytes(relativePath, System.Text.Encoding.UTF8.GetBytes(content));

    public string WriteBytes(string relativePath, byte[] content)
    {
        var full = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        return full;
    }

    public void Dispose() => Cleanup.DeleteFolder(Path);
}
