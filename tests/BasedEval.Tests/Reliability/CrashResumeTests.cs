using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using BasedEval.Core.Storage;
using BasedEval.Tests.EndToEnd;
using BasedEval.TestServer;

namespace BasedEval.Tests.Reliability;

/// <summary>
/// The real `basedeval` process killed with SIGKILL, or stopped with Ctrl+C, mid-run, then resumed: nothing lost, nothing
/// stored twice, and no request whose sample had been committed is sent again.
/// </summary>
public class CrashResumeTests
{
    private const int Items = 600;

    [Fact]
    public async Task A_run_killed_mid_way_is_finished_by_resume_without_resending_any_committed_request()
    {
        using var ws = new ReliabilityWorkspace(Items, subjects: 4);
        await using var server = await TestLlmServer.StartAsync(ws.Script(ttftMs: 15), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, concurrency: 8);

        await DotnetProcess.KillWhenAsync(
            DotnetProcess.StartInfo("basedeval.dll", ws.Root, "run", "--config", ws.ConfigPath, "--target", "t"),
            () => StoredSamples.Count(ws.StorePath) >= Items / 4,
            TimeSpan.FromSeconds(60),
            TestContext.Current.CancellationToken);

        // Requests cut by the kill reach the server's log as aborted; let them land before reading it.
        await Task.Delay(200, TestContext.Current.CancellationToken);
        var requestsAtKill = server.Requests.Count;
        var answeredAtKill = server.Requests.Where(r => r.Completed && r.StatusCode == 200).Select(r => r.Key!).ToHashSet();
        string runId;
        HashSet<string> committed;
        await using (var store = await SqliteResultStore.OpenAsync(ws.StorePath, TestContext.Current.CancellationToken))
        {
            var run = Assert.Single(await store.ListRunsAsync(TestContext.Current.CancellationToken));
            Assert.Equal(RunStatus.Running, run.Status);
            runId = run.Id;
            var samples = await store.GetSamplesAsync(runId, TestContext.Current.CancellationToken);
            Assert.All(samples, s => Assert.True(s.Succeeded, s.Error));
            committed = samples.Select(ReliabilityWorkspace.KeyOf).ToHashSet();
            Assert.Equal(samples.Count, committed.Count);
            Assert.True(committed.Count >= Items / 4, $"only {committed.Count} samples were committed");
        }

        Assert.Subset(answeredAtKill, committed);
        var resumed = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t", "--resume", runId);

        Assert.True(resumed.ExitCode == 0, resumed.Output + resumed.Error);
        await using (var store = await SqliteResultStore.OpenAsync(ws.StorePath, TestContext.Current.CancellationToken))
        {
            var samples = await store.GetSamplesAsync(runId, TestContext.Current.CancellationToken);
            Assert.Equal(Items, samples.Count);
            Assert.Equal(Items, samples.Select(ReliabilityWorkspace.KeyOf).Distinct().Count());
            Assert.All(samples, s => Assert.True(s.Succeeded && s.Score!.IsCorrect == ws.ExpectedCorrect(s), s.Error));
            Assert.Equal(RunStatus.Completed, (await store.GetRunAsync(runId, TestContext.Current.CancellationToken))!.Status);
        }

        var afterKill = server.Requests.Skip(requestsAtKill).ToList();
        Assert.DoesNotContain(afterKill, r => committed.Contains(r.Key!));
        // Answered but not yet committed when killed: the only requests the promise allows to be sent twice.
        var answeredTwice = afterKill.Where(r => answeredAtKill.Contains(r.Key!)).Select(r => r.Key!).ToHashSet();
        Assert.True(answeredTwice.SetEquals(answeredAtKill.Except(committed)), "an answered but uncommitted request was not sent again");
        Assert.Equal(Items, server.Requests.Where(r => r.Completed && r.StatusCode == 200).Select(r => r.Key).Distinct().Count());
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"killed after {answeredAtKill.Count} answers: {committed.Count} committed, {answeredTwice.Count} answered but not committed (sent again), {afterKill.Count} requests on resume");
    }

    [Fact]
    public async Task Ctrl_C_stores_what_was_answered_marks_the_run_interrupted_prints_its_resume_command_and_exits_4()
    {
        const int items = 200;
        using var ws = new ReliabilityWorkspace(items, subjects: 2);
        await using var server = await TestLlmServer.StartAsync(ws.Script(ttftMs: 15), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, concurrency: 1);

        var start = DotnetProcess.StartInfo("basedeval.dll", ws.Root, "run", "--config", ws.ConfigPath, "--target", "t");
        // As from a terminal: a test host started in the background passes SIGINT on as ignored, and .NET keeps it so.
        start.ArgumentList.Insert(0, start.FileName);
        start.ArgumentList.Insert(0, "--default-signal=INT");
        start.FileName = "env";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        while (server.SuccessfulRequestCount("m") < items / 4)
        {
            if (process.HasExited)
            {
                Assert.Fail("the run ended before it could be interrupted: " + await output + await error);
            }

            await Task.Delay(5, deadline.Token);
        }

        Signals.Send(process.Id, "INT");

        await process.WaitForExitAsync(deadline.Token);
        var printed = await output + await error;
        Assert.True(process.ExitCode == 4, $"exit {process.ExitCode}: {printed}");
        var resume = Regex.Match(printed, @"`basedeval run --target t --resume (run-[^`]+)`");
        Assert.True(resume.Success, printed);
        var runId = resume.Groups[1].Value;
        var requestsAtStop = server.Requests.Count;
        int committed;
        await using (var store = await SqliteResultStore.OpenAsync(ws.StorePath, TestContext.Current.CancellationToken))
        {
            Assert.Equal(RunStatus.Interrupted, (await store.GetRunAsync(runId, TestContext.Current.CancellationToken))!.Status);
            var samples = await store.GetSamplesAsync(runId, TestContext.Current.CancellationToken);
            // A clean stop commits every answer the runner received: at concurrency 1 only the request in flight at the
            // signal can be missing, even if the server had finished writing it.
            var answered = server.Requests.Where(r => r.Completed && r.StatusCode == 200).Select(r => r.Key!).ToHashSet();
            var stored = samples.Select(ReliabilityWorkspace.KeyOf).ToHashSet();
            Assert.Subset(answered, stored);
            Assert.True(answered.Count - stored.Count <= 1, $"{answered.Count} answered, {stored.Count} stored");
            committed = samples.Count;
        }

        var resumed = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "t", "--resume", runId);

        Assert.True(resumed.ExitCode == 0, resumed.Output + resumed.Error);
        Assert.Equal(items - committed, server.Requests.Count - requestsAtStop);
        Assert.Equal(items, server.Requests.Where(r => r.Completed && r.StatusCode == 200).Select(r => r.Key).Distinct().Count());
    }
}
