using System.Text.RegularExpressions;
using BasedEval.Tests.Scale;

namespace BasedEval.Tests.Storage;

/// <summary>
/// The SQLite store's write path under the store harness (tests/BasedEval.StoreHarness), a process per writer: a writer
/// SIGKILLed mid-commit loses no sample it reported committed and leaves a file that opens; two writers at once both finish
/// and lose nothing. docs/decisions.md has the 20-kill figures for SQLite and LiteDB.
/// </summary>
public sealed partial class StoreCrashTests
{
    [Fact]
    public async Task A_writer_killed_mid_commit_loses_no_acknowledged_sample_and_the_file_opens()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "results.db");
        var output = await Programs.RunAsync("dotnet", BuiltPrograms.AssemblyPath("StoreHarness"), "kill", "sqlite", path, "3");

        var summary = Summary().Match(output);
        Assert.True(summary.Success, output);
        Assert.True(int.Parse(summary.Groups["acknowledged"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, output);
        Assert.Equal("0", summary.Groups["lost"].Value);
        Assert.Equal("0", summary.Groups["unopenable"].Value);
    }

    [Fact]
    public async Task Two_writers_at_once_both_finish_and_lose_nothing()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "results.db");
        var output = await Programs.RunAsync("dotnet", BuiltPrograms.AssemblyPath("StoreHarness"), "concurrent", "sqlite", path, "200");

        Assert.Contains("400 acknowledged, 400 stored, 0 lost, 0 writers failed", output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"sqlite: 3 kills, (?<acknowledged>\d+) samples acknowledged, (?<lost>\d+) lost, file failed to open (?<unopenable>\d+) times")]
    private static partial Regex Summary();
}
