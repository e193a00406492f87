using System.Diagnostics;
using BasedEval.Core.Scoring;
using BasedEval.Core.Scoring.Execution;
using BasedEval.Core.Statistics;
using BasedEval.Core.Suites;

namespace BasedEval.Tests.Scoring;

public class HumanEvalExecutionTests
{
    private static readonly HumanEvalProblem Return1 = new("test/0", "def return1():\n", "return1", "    return 1", "def check(candidate):\n    assert candidate() == 1");

    private static HumanEvalScorer Scorer(SandboxLimits? limits = null)
    {
        var sandbox = PythonSandbox.Shared;
        Prerequisite.RequireInstalledByCi(sandbox.UnavailableReason is null, $"python3 is needed to execute code: {sandbox.UnavailableReason}");
        // A program that should finish gets a deadline a busy machine's slow start cannot reach.
        return new HumanEvalScorer(limits ?? SandboxLimits.Default with { Timeout = TimeSpan.FromSeconds(30), CpuSeconds = 4 }, sandbox);
    }

    [Fact]
    public async Task Every_canonical_solution_of_the_real_file_passes_its_tests()
    {
        var path = SharedData.Require("humaneval/HumanEval.jsonl.gz");
        var problems = HumanEvalSuite.Load(path);
        // The machine is shared and loaded; a generous timeout keeps a slow moment from failing a correct solution.
        var scorer = Scorer(SandboxLimits.Default with { Timeout = TimeSpan.FromSeconds(30), CpuSeconds = 30 });
        var clock = Stopwatch.StartNew();

        var results = await Task.WhenAll(problems.Select(async p => (p.TaskId, Result: await scorer.ExecuteAsync(p, p.CanonicalSolution, TestContext.Current.CancellationToken))));

        Assert.Equal(164, problems.Count);
        Assert.Empty(results.Where(r => !r.Result.Passed).Select(r => $"{r.TaskId}: {r.Result.Reason}"));
        Assert.Equal(1.0, Averages.PassAtKOverProblems(results.Select(r => (r.TaskId, r.Result.Passed)), 1));
        TestContext.Current.SendDiagnosticMessage($"164 canonical solutions in {clock.Elapsed.TotalSeconds:0.0} s, isolated={scorer.Sandbox.Isolated}");
    }

    [Fact]
    public async Task The_human_eval_example_samples_give_pass_at_1_of_one_half()
    {
        var problem = HumanEvalSuite.Load(SharedData.Require("humaneval/example_problem.jsonl")).Single();
        var samples = SuiteJsonl.Read(SharedData.Require("humaneval/example_samples.jsonl"))
            .Select(r => SuiteJsonl.RequiredString("example_samples.jsonl", r, "completion", allowEmpty: true))
            .ToList();
        // human-eval's 3 s timeout would also bound how long the passing samples may take to start on a busy machine. Any
        // timeout under 10 s still times out the sample that sleeps 10 s: the timeout's clock starts before its sleep does.
        var scorer = Scorer(SandboxLimits.Default with { Timeout = TimeSpan.FromSeconds(8), CpuSeconds = 4 });

        var results = await Task.WhenAll(samples.Select(c => scorer.ExecuteAsync(problem, c, TestContext.Current.CancellationToken)));

        Assert.Equal([false, false, false, true, true, true], results.Select(r => r.Passed));
        Assert.Equal(0.5, PassAtK.Unbiased(samples.Count, results.Count(r => r.Passed), 1), 12);
        Assert.Equal(0.5, Averages.PassAtKOverProblems(results.Select(r => (problem.TaskId, r.Passed)), 1), 12);
        Assert.Contains("starting processes not allowed", results[0].Reason, StringComparison.Ordinal);
        Assert.Equal(ExecutionOutcome.TimedOut, results[1].Outcome);
        Assert.Contains("EOFError", results[2].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_shipped_sample_problems_pass_with_their_solutions_and_load_as_chat_items()
    {
        var suite = new HumanEvalSuite("humaneval", Path.Combine(Suites.SampleSuites.MmluRoot, "..", "humaneval-sample", "humaneval_sample.jsonl"));
        var scorer = Scorer();

        var results = await Task.WhenAll(suite.LoadProblems().Select(p => scorer.ExecuteAsync(p, p.CanonicalSolution, TestContext.Current.CancellationToken)));
        var item = suite.LoadItems().First();

        Assert.All(results, r => Assert.True(r.Passed, r.Reason));
        Assert.Equal("Sample/0", item.Id);
        Assert.StartsWith(HumanEvalSuite.Instruction + "from typing import List", item.Messages.Single().Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task What_a_failing_program_printed_comes_before_its_traceback_and_the_reason_is_the_exception()
    {
        var scorer = Scorer();

        var result = await scorer.ExecuteAsync(Return1, "    print('before the error')\n    raise ValueError('the reason')\n", TestContext.Current.CancellationToken);

        Assert.Equal(ExecutionOutcome.Failed, result.Outcome);
        Assert.Equal("ValueError: the reason", result.Reason);
        var printed = result.Output.IndexOf("before the error\n", StringComparison.Ordinal);
        Assert.True(printed >= 0 && printed < result.Output.IndexOf("Traceback", StringComparison.Ordinal), result.Output);
    }

    public static TheoryData<string, string> Escapes => new()
    {
        { "    import socket\n    socket.create_connection(('1.1.1.1', 53), 2)\n    return 1\n", "network" },
        { "    import urllib.request\n    urllib.request.urlopen('http://example.com', timeout=2)\n    return 1\n", "network" },
        { "    open('/tmp/basedeval-escape-marker', 'w').write('x')\n    return 1\n", "writing outside the working folder" },
        { "    import os\n    os.remove('/etc/hostname')\n    return 1\n", "outside the working folder" },
        { "    import os\n    while True:\n        os.fork()\n", "starting processes not allowed" },
        { "    import subprocess\n    subprocess.run(['sh', '-c', ':(){ :|:& };:'])\n    return 1\n", "starting processes not allowed" },
        { "    import ctypes\n    ctypes.CDLL(None).fork()\n    return 1\n", "native code not allowed" },
        { "    while True:\n        pass\n", "timed out" },
        { "    x = bytearray(4 * 1024 ** 3)\n    return 1\n", "MemoryError" },
        { "    while True:\n        print('spam' * 1000)\n", "output exceeded" },
        { "    import os\n    os._exit(0)\n", "exited before its tests finished" },
    };

    [Theory]
    [MemberData(nameof(Escapes))]
    public async Task An_escape_attempt_is_contained_and_scored_failed_with_the_reason(string completion, string reason)
    {
        // Only the endless loop runs into the deadline, so only its deadline is short: 2 s of wall clock kill it before it can
        // use 3 CPU seconds, however busy the machine. Every other attempt is refused at once, given time to start.
        var deadline = TimeSpan.FromSeconds(reason == "timed out" ? 2 : 30);
        var scorer = Scorer(SandboxLimits.Default with { Timeout = deadline, CpuSeconds = 3, MemoryBytes = 512L << 20 });

        var result = await scorer.ExecuteAsync(Return1, completion, TestContext.Current.CancellationToken);

        Assert.False(result.Passed);
        Assert.Contains(reason, result.Reason, StringComparison.Ordinal);
        Assert.False(File.Exists("/tmp/basedeval-escape-marker"));
    }

    [Fact]
    public void A_working_folder_write_is_allowed_and_the_folder_is_removed_afterwards()
    {
        var scorer = Scorer();
        var before = Directory.GetDirectories(Path.GetTempPath(), "basedeval-exec-*").Length;

        var item = new EvalItem("test/0", [], [], null, [], new Dictionary<string, string>
        {
            [HumanEvalScorer.PromptKey] = Return1.Prompt,
            [HumanEvalScorer.TestKey] = Return1.Test,
            [HumanEvalScorer.EntryPointKey] = Return1.EntryPoint,
        });
        var score = scorer.Score(item, "```python\ndef return1():\n    with open('scratch.txt', 'w') as f:\n        f.write('ok')\n    return 1\n```");

        Assert.True(score.Value == 1, score.Explanation);
        Assert.StartsWith("passed its tests", score.Explanation, StringComparison.Ordinal);
        Assert.True(Directory.GetDirectories(Path.GetTempPath(), "basedeval-exec-*").Length <= before);
    }

    [Fact]
    public async Task Without_python_the_suite_says_so_and_nothing_is_scored()
    {
        var sandbox = new PythonSandbox("/nonexistent/python3");

        Assert.Contains("/nonexistent/python3 was not found", sandbox.UnavailableReason, StringComparison.Ordinal);
        Assert.Contains("apt-get install python3", sandbox.UnavailableReason, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => sandbox.RunAsync("print(1)", SandboxLimits.Default, TestContext.Current.CancellationToken));
    }
}
