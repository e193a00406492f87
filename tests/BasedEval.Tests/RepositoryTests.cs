using System.Text.RegularExpressions;

namespace BasedEval.Tests;

/// <summary>The promises the repository makes about itself: README's two set-up commands, and CI running the same test command.</summary>
public class RepositoryTests
{
    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BasedEval.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("BasedEval.sln not found above the test assembly");
    }

    private static string[] SetUpCommands()
    {
        var readme = File.ReadAllText(Path.Combine(Root(), "README.md"));
        var section = readme[readme.IndexOf("## Set up", StringComparison.Ordinal)..];
        var block = Regex.Match(section, "```\\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        return block.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    [Fact]
    public void Readme_gives_exactly_two_set_up_commands_main_job_then_tests()
    {
        var commands = SetUpCommands();

        Assert.Equal(2, commands.Length);
        Assert.StartsWith("dotnet run --project src/BasedEval.Cli", commands[0], StringComparison.Ordinal);
        Assert.StartsWith("dotnet test", commands[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Ci_runs_the_readme_test_command_verbatim()
    {
        var ci = File.ReadAllLines(Path.Combine(Root(), ".ci", "run"));

        Assert.Contains(SetUpCommands()[1], ci);
    }

    [Fact]
    public void Every_skip_goes_through_Prerequisite_so_it_is_counted_and_CI_cannot_skip_what_it_installs()
    {
        var tests = Path.Combine(Root(), "tests", "BasedEval.Tests");
        var direct = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && Path.GetFileName(f) != "Prerequisite.cs")
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(tests, f), Line: i + 1, Text: line)))
            .Where(l => Regex.IsMatch(l.Text, @"\bAssert\.Skip(When|Unless)?\("))
            .Select(l => $"{l.File}:{l.Line}")
            .ToList();

        Assert.True(direct.Count == 0, "skip through Prerequisite.Require or RequireInstalledByCi instead: " + string.Join(", ", direct));
    }
}
