using System.Runtime.Versioning;
using System.Security.Cryptography;
using BasedEval.Tests.EndToEnd;
using BasedEval.TestServer;

namespace BasedEval.Tests.Reliability;

/// <summary>
/// Bad input of every kind ends with exit 2, a message naming the place and the fix, and a store whose files are
/// byte for byte what they were before the command ran.
/// </summary>
public class BadInputTests
{
    public static TheoryData<string, string, string> ConfigMistakes => new()
    {
        { "a value of the wrong type", "    rpm: fast", @"evals\.yaml:\d+:\d+: `rpm` of target `t` \(requests per minute\) must be a number" },
        { "a misspelt key", "    rmp: 5", @"evals\.yaml:\d+:\d+: unknown key `rmp` in target `t`.*did you mean `rpm`" },
        { "an unknown key", "    requests_per_minute: 5", @"evals\.yaml:\d+:\d+: unknown key `requests_per_minute` in target `t`.*allowed keys in target `t`: .*rpm, tpm, max_usd, circuit_breaker" },
        { "an unknown nested key", "    circuit_breaker: { failure: 3 }", @"evals\.yaml:\d+:\d+: unknown key `failure` in `circuit_breaker` of target `t`.*did you mean `failures`" },
        { "a negative spend cap", "    max_usd: -1", @"evals\.yaml:\d+:\d+: `max_usd` of target `t`" },
        { "an unclosed quote", "    model_name: \"m", @"evals\.yaml:\d+:\d+: not valid YAML" },
        { "an unclosed inline list", "    rpm: [1, 2", @"evals\.yaml:1[4-9]:\d+: not valid YAML" },
    };

    [Theory]
    [MemberData(nameof(ConfigMistakes))]
    public async Task A_config_mistake_exits_2_with_place_and_fix_and_leaves_the_store_alone(string mistake, string targetLines, string message)
    {
        using var ws = await WorkspaceWithStoredRunAsync();
        var before = Snapshot(ws.StorePath);
        var config = File.ReadAllText(ws.ConfigPath);
        File.WriteAllText(ws.ConfigPath, config.Replace("    max_retries: 4\n", $"    max_retries: 4\n{targetLines}\n", StringComparison.Ordinal));

        var result = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t");

        Assert.True(result.ExitCode == 2, $"{mistake}: {result.Output}{result.Error}");
        Assert.Matches(message, result.Error.ReplaceLineEndings(" "));
        Assert.Contains("fix:", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(ws.StorePath));
    }

    [Fact]
    public async Task A_broken_csv_row_exits_2_naming_file_and_line_and_leaves_the_store_alone()
    {
        using var ws = await WorkspaceWithStoredRunAsync();
        var before = Snapshot(ws.StorePath);
        File.AppendAllText(Path.Combine(ws.Root, "mmlu", "subject00_test.csv"), "\"a question with no options\",A\n");

        var result = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t");

        Assert.True(result.ExitCode == 2, result.Output + result.Error);
        Assert.Matches(@"subject00_test\.csv:\d+", result.Error);
        Assert.Equal(before, Snapshot(ws.StorePath));
    }

    [Fact]
    public async Task A_missing_data_folder_or_config_file_exits_2_and_leaves_the_store_alone()
    {
        using var ws = await WorkspaceWithStoredRunAsync();
        var before = Snapshot(ws.StorePath);
        Directory.Delete(Path.Combine(ws.Root, "mmlu"), recursive: true);

        var missingData = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t");
        var missingConfig = await CliRunner.RunAsync(ws.Root, "run", "--config", Path.Combine(ws.Root, "no-such.yaml"), "--target", "t");

        Assert.True(missingData.ExitCode == 2, missingData.Error);
        Assert.Contains("does not exist", missingData.Error, StringComparison.Ordinal);
        Assert.True(missingConfig.ExitCode == 2, missingConfig.Error);
        Assert.Contains("no-such.yaml` does not exist", missingConfig.Error, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(ws.StorePath));
    }

    [Theory]
    [InlineData("random bytes", 4096)]
    [InlineData("a text file", 0)]
    public async Task A_file_that_is_not_a_database_at_the_store_path_exits_2_and_is_not_touched(string what, int randomBytes)
    {
        using var ws = new ReliabilityWorkspace(5);
        ws.WriteConfig(new Uri("http://127.0.0.1:9/"));
        Directory.CreateDirectory(Path.GetDirectoryName(ws.StorePath)!);
        var content = randomBytes > 0 ? RandomNumberGenerator.GetBytes(randomBytes) : "id,score\n1,0.5\n"u8.ToArray();
        File.WriteAllBytes(ws.StorePath, content);
        var before = Snapshot(ws.StorePath);

        var result = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t");

        Assert.True(result.ExitCode == 2, $"{what}: {result.Output}{result.Error}");
        Assert.Contains("cannot be opened", result.Error, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(ws.StorePath));
    }

    [Fact]
    public async Task A_folder_at_the_store_path_exits_2()
    {
        using var ws = new ReliabilityWorkspace(5);
        ws.WriteConfig(new Uri("http://127.0.0.1:9/"));
        Directory.CreateDirectory(ws.StorePath);

        var result = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t");

        Assert.True(result.ExitCode == 2, result.Output + result.Error);
        Assert.Contains("cannot be opened", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(ws.StorePath));
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public async Task A_store_in_a_read_only_folder_exits_2_and_is_not_touched()
    {
        Prerequisite.Require(Environment.UserName != "root", "file permissions do not bind root (the immutable-store test covers root)");
        using var ws = await WorkspaceWithStoredRunAsync();
        var folder = Path.GetDirectoryName(ws.StorePath)!;
        var before = Snapshot(ws.StorePath);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            var result = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t");

            Assert.True(result.ExitCode == 2, result.Output + result.Error);
            Assert.Contains(ws.StorePath, result.Error, StringComparison.Ordinal);
            Assert.Contains("writable", result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("not a BasedEval", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Assert.Equal(before, Snapshot(ws.StorePath));
    }

    /// <summary>An immutable file binds root too, so this runs where CI does: one line, exit 2, nothing sent, nothing changed.</summary>
    [Fact]
    [SupportedOSPlatform("linux")]
    public async Task An_immutable_store_exits_2_with_one_line_naming_the_file_and_the_fix_even_as_root()
    {
        using var ws = await WorkspaceWithStoredRunAsync();
        var before = Snapshot(ws.StorePath);
        var made = await ChattrAsync("+i", ws.StorePath);
        Prerequisite.Require(made is null, $"chattr +i is refused here (needs root and a file system with attributes): {made}");
        try
        {
            await using var server = await TestLlmServer.StartAsync(ws.Script(), TestContext.Current.CancellationToken);
            ws.WriteConfig(server.BaseUrl);
            var result = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t");

            Assert.True(result.ExitCode == 2, result.Output + result.Error);
            Assert.StartsWith($"error: the result store `{ws.StorePath}` cannot be written", result.Error, StringComparison.Ordinal);
            Assert.Contains("chattr -i", result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
            Assert.Equal(0, server.RequestCount("m"));
        }
        finally
        {
            await ChattrAsync("-i", ws.StorePath);
        }

        Assert.Equal(before, Snapshot(ws.StorePath));
    }

    [Fact]
    public async Task A_store_locked_by_another_process_is_waited_for_out_loud_then_exits_4_with_the_cause()
    {
        using var ws = await WorkspaceWithStoredRunAsync();
        File.AppendAllText(ws.ConfigPath, "\nstore_timeout_s: 1\n");
        var before = Snapshot(ws.StorePath);
        await using (var holder = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={ws.StorePath};Pooling=False"))
        {
            await holder.OpenAsync(TestContext.Current.CancellationToken);
            using (var exclusive = holder.CreateCommand())
            {
                exclusive.CommandText = "BEGIN EXCLUSIVE;";
                await exclusive.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            var result = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t");

            Assert.True(result.ExitCode == 4, result.Output + result.Error);
            Assert.Contains("is locked by another process; waiting up to 1 s", result.Error, StringComparison.Ordinal);
            Assert.Contains("stayed locked by another process for 1 s", result.Error, StringComparison.Ordinal);
            Assert.Contains("store_timeout_s", result.Error, StringComparison.Ordinal);
        }

        Assert.Equal(before, Snapshot(ws.StorePath));
    }

    [Fact]
    public async Task A_store_whose_lock_is_released_within_the_timeout_is_waited_for_and_the_run_succeeds()
    {
        using var ws = await WorkspaceWithStoredRunAsync();
        await using var server = await TestLlmServer.StartAsync(ws.Script(), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl);
        File.AppendAllText(ws.ConfigPath, "\nstore_timeout_s: 120\n");
        var holder = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={ws.StorePath};Pooling=False");
        await holder.OpenAsync(TestContext.Current.CancellationToken);
        using (var exclusive = holder.CreateCommand())
        {
            exclusive.CommandText = "BEGIN EXCLUSIVE;";
            await exclusive.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        // On a thread of its own: SQLite waits out a lock synchronously.
        var run = Task.Run(() => CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t", "--limit", "3"), TestContext.Current.CancellationToken);
        await Task.Delay(2500, TestContext.Current.CancellationToken);
        await holder.DisposeAsync();
        var result = await run;

        // However late this machine let go of the lock relative to the run, the run waited for it instead of failing.
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
    }

    /// <summary>Runs chattr; null when it worked, else what it said.</summary>
    private static async Task<string?> ChattrAsync(string change, string path)
    {
        if (Core.Scoring.Execution.ChildProcess.FindOnPath("chattr") is null)
        {
            return "chattr is not installed (Debian: e2fsprogs)";
        }

        using var chattr = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("chattr", [change, path]) { RedirectStandardError = true })!;
        var said = await chattr.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await chattr.WaitForExitAsync(TestContext.Current.CancellationToken);
        return chattr.ExitCode == 0 ? null : said.Trim();
    }

    [Theory]
    [InlineData("random bytes", "is not a GGUF file")]
    [InlineData("shorter than a header", "is truncated: 10 bytes")]
    [InlineData("a real model cut in half", "could not load model file")]
    [InlineData("a missing file", "does not exist")]
    public async Task A_bad_model_file_exits_2_naming_the_target_and_leaves_the_store_alone(string damage, string message)
    {
        using var ws = await WorkspaceWithStoredRunAsync();
        var model = Path.Combine(ws.Root, "model.gguf");
        switch (damage)
        {
            case "random bytes":
                File.WriteAllBytes(model, RandomNumberGenerator.GetBytes(5000));
                break;
            case "shorter than a header":
                File.WriteAllBytes(model, "GGUF\u0003\0\0\0\0\0"u8.ToArray());
                break;
            case "a real model cut in half":
                var real = File.ReadAllBytes(SharedData.Require(Path.Combine("models", "llama-2-tiny-random.gguf")));
                File.WriteAllBytes(model, real[..(real.Length / 2)]);
                break;
        }

        File.WriteAllText(ws.ConfigPath, File.ReadAllText(ws.ConfigPath).Replace("suites:", "  local:\n    provider: llamacpp\n    model_path: model.gguf\nsuites:", StringComparison.Ordinal));
        var before = Snapshot(ws.StorePath);

        var result = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "local");

        Assert.True(result.ExitCode == 2, $"{damage}: {result.Output}{result.Error}");
        Assert.Matches(@"evals\.yaml:\d+:\d+: target `local` cannot load its model", result.Error);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Contains("fix:", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(ws.StorePath));
    }

    private static async Task<ReliabilityWorkspace> WorkspaceWithStoredRunAsync()
    {
        var ws = new ReliabilityWorkspace(10);
        await using var server = await TestLlmServer.StartAsync(ws.Script(), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl);
        var result = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t");
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        return ws;
    }

    /// <summary>Every file in the store's folder (database, WAL, shared memory) with a hash of its bytes.</summary>
    private static SortedDictionary<string, string> Snapshot(string storePath) =>
        new(Directory.GetFiles(Path.GetDirectoryName(storePath)!).ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);
}
