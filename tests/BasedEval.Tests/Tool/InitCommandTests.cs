using BasedEval.Cli;
using BasedEval.Core.Gating;
using BasedEval.Tests.EndToEnd;
using BasedEval.Tests.LlamaCpp;
using BasedEval.Tests.Suites;

namespace BasedEval.Tests.Tool;

/// <summary>`basedeval init`: the default job the tool carries, written without ever losing a user's file.</summary>
public class InitCommandTests
{
    private static string Repository => SyntheticModels.RepositoryRoot;

    /// <summary>The repository's files that make up the default job, by the path init writes them under.</summary>
    private static SortedSet<string> DefaultJobFiles()
    {
        var files = new SortedSet<string>(StringComparer.Ordinal) { "evals.yaml", Path.Combine("releases", "README.md") };
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Repository, "suites"), "*", SearchOption.AllDirectories))
        {
            files.Add(Path.GetRelativePath(Repository, file));
        }

        return files;
    }

    [Fact]
    public async Task The_embedded_starter_files_are_the_repository_files_byte_for_byte()
    {
        Assert.Equal(DefaultJobFiles(), new SortedSet<string>(StarterFiles.All.Select(f => f.RelativePath), StringComparer.Ordinal));
        foreach (var file in StarterFiles.All)
        {
            await using var embedded = file.Open();
            using var copy = new MemoryStream();
            await embedded.CopyToAsync(copy, TestContext.Current.CancellationToken);
            Assert.True(copy.ToArray().AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(Repository, file.RelativePath))), $"the tool's {file.RelativePath} differs from the repository's");
        }
    }

    [Fact]
    public async Task Init_writes_the_default_job_into_a_new_folder()
    {
        using var folder = new TempFolder();
        var root = folder.Path;
        var result = await CliRunner.RunAsync(root, "init", "project");

        Assert.True(result.ExitCode == ExitCodes.Pass, result.Output + result.Error);
        Assert.Contains("cd project && basedeval compare", result.Output, StringComparison.Ordinal);
        foreach (var file in DefaultJobFiles())
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(Repository, file)), File.ReadAllBytes(Path.Combine(root, "project", file)));
        }

        Assert.Empty(Directory.EnumerateFiles(root, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Init_refuses_to_overwrite_and_writes_nothing_unless_forced()
    {
        using var folder = new TempFolder();
        var root = folder.Path;
        var own = Path.Combine(root, "evals.yaml");
        File.WriteAllText(own, "# the team's own config\n");

        var refused = await CliRunner.RunAsync(root, "init");

        Assert.Equal(ExitCodes.InvalidInput, refused.ExitCode);
        Assert.Contains("already holds evals.yaml; nothing was written", refused.Error, StringComparison.Ordinal);
        Assert.Contains("--force", refused.Error, StringComparison.Ordinal);
        Assert.Equal("# the team's own config\n", File.ReadAllText(own));
        Assert.False(Directory.Exists(Path.Combine(root, "suites")));

        var forced = await CliRunner.RunAsync(root, "init", "--force");

        Assert.Equal(ExitCodes.Pass, forced.ExitCode);
        Assert.Equal(File.ReadAllText(Path.Combine(Repository, "evals.yaml")), File.ReadAllText(own));
    }

    [Fact]
    public async Task Init_into_a_path_that_is_a_file_is_bad_input()
    {
        using var folder = new TempFolder();
        var root = folder.Path;
        File.WriteAllText(Path.Combine(root, "taken"), "x");

        var result = await CliRunner.RunAsync(root, "init", "taken");

        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains("is a file, not a folder", result.Error, StringComparison.Ordinal);
    }
}
