using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using System.Text.Json;
using System.Text.RegularExpressions;
using BasedEval.Core.Gating;
using BasedEval.Core.Storage;
using BasedEval.Tests.EndToEnd;
using BasedEval.TestServer;

namespace BasedEval.Tests.Scale;

/// <summary>`basedeval slurm`: the scripts' text and quoting, sbatch's calls, and the whole flow on a real Slurm cluster.</summary>
public sealed partial class SlurmTests(SlurmCluster cluster) : IClassFixture<SlurmCluster>
{
    private const string Gates = """
              quality: { margin: 2, confidence: 0.95 }
        """;

    // A space and a quote: the path must reach basedeval as one word through bash and sbatch.
    private const string ConfigName = "team's evals.yaml";

    [Fact]
    public async Task Slurm_scripts_run_every_shard_of_both_models_then_compare_the_runs_by_id()
    {
        using var ws = new ScriptedWorkspace(40, _ => true, _ => true);
        ws.WriteConfig(new Uri("http://127.0.0.1:9/"), Gates);
        var config = CopyConfig(ws);

        var written = await CliRunner.RunAsync(ws.Root, "slurm", "--config", config, "--shards", "4", "--limit", "30", "--partition", "gpu,cpu", "--time", "01:30:00",
            "--cpus-per-task", "2", "--mem", "8G", "--basedeval", "printf '%s\\n'", "--out", "slurm jobs");
        Assert.True(written.ExitCode == 0, written.Output + written.Error);
        var (baselineRun, candidateRun) = RunIds(written.Output);
        Assert.Contains("submit: jid=$(sbatch --parsable 'slurm jobs/shards.sbatch') && sbatch --dependency=afterok:$jid 'slurm jobs/compare.sbatch'", written.Output, StringComparison.Ordinal);

        var shards = await File.ReadAllTextAsync(Path.Combine(ws.Root, "slurm jobs", "shards.sbatch"), TestContext.Current.CancellationToken);
        var compare = await File.ReadAllTextAsync(Path.Combine(ws.Root, "slurm jobs", "compare.sbatch"), TestContext.Current.CancellationToken);
        Assert.DoesNotContain('\r', shards);
        Assert.Equal(
            ["--job-name=basedeval-swap-shards", "--array=0-3", "--output=slurm-%A_%a.out", "--partition=gpu,cpu", "--time=01:30:00", "--cpus-per-task=2", "--mem=8G"],
            Directives(shards));
        Assert.Equal(["--job-name=basedeval-swap-compare", "--output=slurm-%j.out", "--partition=gpu,cpu", "--time=01:30:00", "--cpus-per-task=2", "--mem=8G"], Directives(compare));
        Assert.Contains("\nset -euo pipefail\n", shards, StringComparison.Ordinal);
        Assert.Contains("\nset -euo pipefail\n", compare, StringComparison.Ordinal);
        Assert.Contains(@"--config '" + ws.Root + @"/team'\''s evals.yaml'", shards, StringComparison.Ordinal);

        // bash, as a compute node runs them, hands basedeval these words (printf stands in for it, one word a line).
        var task = await BashAsync(ws.Root, Path.Combine("slurm jobs", "shards.sbatch"), ("SLURM_ARRAY_TASK_ID", "2"));
        Assert.True(task.Code == 0, task.Output);
        string[] Run(string target) => ["run", "--config", config, "--target", target, "--suite", "mmlu", "--limit", "30", "--shard", "2/4"];
        Assert.Equal([.. Run("gpt-a"), .. Run("open-b")], Lines(task.Output));
        var compared = await BashAsync(ws.Root, Path.Combine("slurm jobs", "compare.sbatch"));
        Assert.Equal(["compare", "--config", config, "--comparison", "swap", "--baseline-run", baselineRun, "--candidate-run", candidateRun], Lines(compared.Output));

        // Outside an array task the shard script stops before running anything.
        var bare = await BashAsync(ws.Root, Path.Combine("slurm jobs", "shards.sbatch"));
        Assert.NotEqual(0, bare.Code);
        Assert.Contains("submit this script with sbatch", bare.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("--target", bare.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slurm_run_ids_written_up_front_are_the_ones_the_shards_derive()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var ws = new ScriptedWorkspace(40, _ => true, _ => true);
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, ttftMs: 1), ["open-b"] = ws.Model(ws.CandidateRight, ttftMs: 1) } };
        await using var server = await TestLlmServer.StartAsync(script, cancel);
        ws.WriteConfig(server.BaseUrl, Gates);
        var config = CopyConfig(ws);

        // --baseline/--candidate instead of a named comparison; basedeval as these tests start it, by its dll.
        var written = await CliRunner.RunAsync(ws.Root, "slurm", "--config", config, "--baseline", "gpt-a", "--candidate", "open-b", "--shards", "3", "--basedeval", BasedEvalCommand());
        Assert.True(written.ExitCode == 0, written.Output + written.Error);
        var (baselineRun, candidateRun) = RunIds(written.Output);
        var compare = await File.ReadAllTextAsync(Path.Combine(ws.Root, "slurm", "compare.sbatch"), cancel);
        Assert.Contains($"compare --config '{ws.Root}/team'\\''s evals.yaml' --baseline gpt-a --candidate open-b --baseline-run {baselineRun} --candidate-run {candidateRun}\n", compare, StringComparison.Ordinal);

        var task = await BashAsync(ws.Root, Path.Combine("slurm", "shards.sbatch"), ("SLURM_ARRAY_TASK_ID", "1"));
        Assert.True(task.Code == 0, task.Output);
        Assert.Contains($"run {baselineRun}:", task.Output, StringComparison.Ordinal);
        Assert.Contains($"run {candidateRun}:", task.Output, StringComparison.Ordinal);
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public async Task Slurm_submit_sends_the_array_then_the_comparison_after_it_and_prints_both_job_ids()
    {
        using var ws = new ScriptedWorkspace(20, _ => true, _ => true);
        ws.WriteConfig(new Uri("http://127.0.0.1:9/"), Gates);
        var fake = FakeSbatch(ws.Root, failOnCall: 0);

        var (code, output) = await BasedEvalAsync(ws.Root, info => info.Environment["PATH"] = $"{fake}:{Environment.GetEnvironmentVariable("PATH")}",
            "slurm", "--config", ws.ConfigPath, "--shards", "4", "--submit");
        Assert.True(code == 0, output);
        Assert.Contains("shards job 41: array 0-3", output, StringComparison.Ordinal);
        Assert.Contains("compare job 42:", output, StringComparison.Ordinal);
        Assert.Equal(["--parsable slurm/shards.sbatch", "--parsable --dependency=afterok:41 slurm/compare.sbatch"], await File.ReadAllLinesAsync(Path.Combine(fake, "calls"), TestContext.Current.CancellationToken));
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public async Task Slurm_submit_refused_after_the_shards_says_how_to_cancel_them_or_submit_the_rest()
    {
        using var ws = new ScriptedWorkspace(20, _ => true, _ => true);
        ws.WriteConfig(new Uri("http://127.0.0.1:9/"), Gates);
        var fake = FakeSbatch(ws.Root, failOnCall: 2);

        var (code, output) = await BasedEvalAsync(ws.Root, info => info.Environment["PATH"] = $"{fake}:{Environment.GetEnvironmentVariable("PATH")}",
            "slurm", "--config", ws.ConfigPath, "--shards", "2", "--submit");
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("sbatch: error: Batch job submission failed: Invalid partition name specified", output, StringComparison.Ordinal);
        Assert.Contains("scancel 41", output, StringComparison.Ordinal);
        Assert.Contains("sbatch --dependency=afterok:41 slurm/compare.sbatch", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--time", "1 hour", "HH:MM:SS")]
    [InlineData("--partition", "gpu\n#SBATCH --x", "partition names")]
    [InlineData("--mem", "8 GB", "16G")]
    [InlineData("--shards", "0", "1 or more")]
    [InlineData("--cpus-per-task", "0", "1 or more")]
    public async Task Slurm_value_sbatch_cannot_read_is_refused_before_anything_is_written(string option, string value, string fix)
    {
        using var ws = new ScriptedWorkspace(10, _ => true, _ => true);
        ws.WriteConfig(new Uri("http://127.0.0.1:9/"), Gates);
        string[] shards = option == "--shards" ? [] : ["--shards", "2"];
        var result = await CliRunner.RunAsync(ws.Root, ["slurm", "--config", ws.ConfigPath, .. shards, option, value]);
        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains(fix, result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(ws.Root, "slurm")));
    }

    [Fact]
    public async Task Slurm_cluster_runs_four_shard_tasks_then_the_comparison_whose_exit_code_is_the_verdicts()
    {
        cluster.Require();
        var cancel = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();
        const int Items = 200;
        // The candidate is right on half the items where the baseline is right on four in five: a FAIL, exit 1.
        using var ws = new ScriptedWorkspace(Items, i => i % 5 != 0, i => i % 2 == 0);
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, ttftMs: 2), ["open-b"] = ws.Model(ws.CandidateRight, ttftMs: 2) } };
        await using var server = await TestLlmServer.StartAsync(script, cancel);
        ws.WriteConfig(server.BaseUrl, Gates, concurrency: 8);
        // Four shard processes write one SQLite file; on a machine busy with other work a commit may wait its turn long.
        File.WriteAllText(ws.ConfigPath, File.ReadAllText(ws.ConfigPath).Replace("seed: 11\n", "seed: 11\nstore_timeout_s: 600\n", StringComparison.Ordinal));
        var config = CopyConfig(ws);

        var (code, output) = await BasedEvalAsync(ws.Root, info => cluster.Client(info),
            "slurm", "--config", config, "--comparison", "swap", "--shards", "4", "--basedeval", BasedEvalCommand(), "--out", "slurm jobs", "--submit");
        Assert.True(code == 0, output);
        var (baselineRun, candidateRun) = RunIds(output);
        var shardsJob = ShardsJob().Match(output).Groups[1].Value;
        var compareJob = CompareJob().Match(output).Groups[1].Value;

        var deadline = TimeSpan.FromMinutes(5);
        var tasks = await cluster.WaitForJobAsync(shardsJob, deadline, cancel);
        // A failed task leaves the comparison pending for ever (afterok), so the tasks' own logs are shown first.
        Assert.True(tasks.Count == 4 && tasks.All(t => t is { State: "COMPLETED", ExitCode: 0 }), $"{string.Join(", ", tasks)}\n{Logs(ws.Root)}");
        var compared = Assert.Single(await cluster.WaitForJobAsync(compareJob, deadline, cancel));
        var logs = Logs(ws.Root);
        Assert.Equal(["0", "1", "2", "3"], tasks.Select(t => t.ArrayTaskId).Order(StringComparer.Ordinal));

        // The job's exit code is the verdict's, as the reports give it.
        var folder = Assert.Single(Directory.GetDirectories(ws.ReportsPath));
        using var comparison = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "comparison.json"), cancel));
        Assert.Equal("FAIL", comparison.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(ExitCodes.Fail, comparison.RootElement.GetProperty("exit_code").GetInt32());
        Assert.True(compared is { State: "FAILED", ExitCode: ExitCodes.Fail }, $"{compared}\n{logs}");
        Assert.All(new[] { "report.html", "summary.md", "junit.xml" }, file => Assert.True(File.Exists(Path.Combine(folder, file)), file));
        Assert.Contains("verdict: FAIL", File.ReadAllText(Path.Combine(ws.Root, $"slurm-{compareJob}.out")), StringComparison.Ordinal);

        // Both runs are whole: four shards each completed, every item once, every item sent once per model.
        await using (var store = await SqliteResultStore.OpenAsync(ws.StorePath, cancel))
        {
            var runs = await store.ListRunsAsync(cancel);
            Assert.Equal(new[] { baselineRun, candidateRun }.Order(StringComparer.Ordinal), runs.Select(r => r.Id).Order(StringComparer.Ordinal));
            foreach (var run in runs)
            {
                Assert.Equal(RunStatus.Completed, run.Status);
                var shards = await store.GetShardsAsync(run.Id, cancel);
                Assert.Equal([0, 1, 2, 3], shards.Select(s => s.Index));
                Assert.All(shards, s => Assert.Equal(ShardStatus.Completed, s.Status));
                var samples = await store.GetSamplesAsync(run.Id, cancel);
                Assert.Equal(Items, samples.Count);
                Assert.Equal(Items, samples.Select(s => (s.Suite, s.ItemId, s.Epoch)).Distinct().Count());
            }
        }

        foreach (var model in new[] { "gpt-a", "open-b" })
        {
            var keys = server.Requests.Where(r => r.Model == model).Select(r => r.Key).ToList();
            Assert.Equal(Items, keys.Count);
            Assert.Equal(Items, keys.Distinct().Count());
        }

        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"slurm: 4 shard tasks × 2 models × {Items} items, then the comparison: {clock.Elapsed.TotalSeconds:0.0} s from writing the scripts to the last job's end; " +
            $"shard tasks ran {tasks.Min(t => t.Start):HH:mm:ss}–{tasks.Max(t => t.End):HH:mm:ss}, the comparison {compared.Start:HH:mm:ss}–{compared.End:HH:mm:ss}"));
    }

    /// <summary>evals.yaml under a name with a space and a quote, beside the original so its relative paths still hold.</summary>
    private static string CopyConfig(ScriptedWorkspace ws)
    {
        var path = Path.Combine(ws.Root, ConfigName);
        File.Copy(ws.ConfigPath, path);
        return path;
    }

    private static string BasedEvalCommand() => $"dotnet '{Path.Combine(AppContext.BaseDirectory, "basedeval.dll")}'";

    /// <summary>The two run ids `slurm` prints, as the scripts carry them.</summary>
    private static (string Baseline, string Candidate) RunIds(string output)
    {
        var baseline = Regex.Match(output, @"baseline run\s+(run-\S+)");
        var candidate = Regex.Match(output, @"candidate run\s+(run-\S+)");
        Assert.True(baseline.Success && candidate.Success, output);
        return (baseline.Groups[1].Value, candidate.Groups[1].Value);
    }

    private static List<string> Directives(string script) =>
        [.. script.Split('\n').TakeWhile(l => l.Length == 0 || l.StartsWith('#')).Where(l => l.StartsWith("#SBATCH ", StringComparison.Ordinal)).Select(l => l["#SBATCH ".Length..])];

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string Logs(string folder) =>
        string.Join('\n', Directory.GetFiles(folder, "slurm-*.out").Order(StringComparer.Ordinal).Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));

    /// <summary>An sbatch that records its arguments and answers as `--parsable` does, 41 then 42; the call numbered <paramref name="failOnCall"/> is refused.</summary>
    [SupportedOSPlatform("linux")]
    private static string FakeSbatch(string root, int failOnCall)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, "fake-bin")).FullName;
        var sbatch = Path.Combine(folder, "sbatch");
        File.WriteAllText(sbatch, $$"""
            #!/bin/bash
            calls="$(dirname "$0")/calls"
            echo "$*" >> "$calls"
            n=$(wc -l < "$calls")
            if [ "$n" -eq {{failOnCall}} ]; then echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2; exit 1; fi
            echo "$((40 + n));cluster"

            """.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(sbatch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return folder;
    }

    private static async Task<(int Code, string Output)> BashAsync(string folder, string script, params (string Name, string Value)[] environment)
    {
        var info = new ProcessStartInfo("bash") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        info.Environment.Remove("SLURM_ARRAY_TASK_ID");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return await CompleteAsync(info);
    }

    /// <summary>basedeval as its own process, as sbatch and the jobs need it.</summary>
    private static async Task<(int Code, string Output)> BasedEvalAsync(string folder, Action<ProcessStartInfo> configure, params string[] arguments)
    {
        var info = DotnetProcess.StartInfo("basedeval.dll", folder, arguments);
        configure(info);
        return await CompleteAsync(info);
    }

    private static async Task<(int Code, string Output)> CompleteAsync(ProcessStartInfo info)
    {
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output + await error);
    }

    [GeneratedRegex(@"shards job (\d+)")]
    private static partial Regex ShardsJob();

    [GeneratedRegex(@"compare job (\d+)")]
    private static partial Regex CompareJob();
}
