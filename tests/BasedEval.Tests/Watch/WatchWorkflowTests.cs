using System.Diagnostics;
using System.Text.RegularExpressions;
using BasedEval.Core.Gating;
using BasedEval.Tests.LlamaCpp;
using BasedEval.TestServer;
using YamlDotNet.RepresentationModel;

namespace BasedEval.Tests.Watch;

/// <summary>
/// .github/workflows/model-release.yml: it has what GitHub requires of a workflow, and its own shell steps, run as a
/// runner runs them (bash -eo pipefail, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, expressions from env), watch a loopback
/// host, write the step summary, open an issue per new model through `gh` and fail the job on FAIL.
/// </summary>
public partial class WatchWorkflowTests
{
    private static string WorkflowPath => Path.Combine(SyntheticModels.RepositoryRoot, ".github", "workflows", "model-release.yml");

    private static YamlMappingNode Workflow()
    {
        var stream = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(WorkflowPath));
        stream.Load(reader);
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }

    private static YamlNode? Get(YamlNode node, string key) =>
        ((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Text(YamlNode node, string key) => (Get(node, key) as YamlScalarNode)?.Value;

    private static List<YamlMappingNode> Steps(YamlMappingNode workflow) =>
        ((YamlSequenceNode)Get(Get(Get(workflow, "jobs")!, "watch")!, "steps")!).Children.Cast<YamlMappingNode>().ToList();

    [Fact]
    public void Watch_workflow_has_the_keys_GitHub_requires_and_runs_on_a_schedule_and_by_hand()
    {
        var workflow = Workflow();

        Assert.NotNull(Text(workflow, "name"));
        var on = Get(workflow, "on")!;
        var schedule = Assert.Single(((YamlSequenceNode)Get(on, "schedule")!).Children);
        Assert.Equal(5, Text(schedule, "cron")!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        foreach (var (_, input) in ((YamlMappingNode)Get(Get(on, "workflow_dispatch")!, "inputs")!).Children)
        {
            Assert.NotNull(Text(input, "description"));
            Assert.Equal("boolean", Text(input, "type"));
        }

        Assert.Equal("write", Text(Get(workflow, "permissions")!, "issues"));
        var jobs = (YamlMappingNode)Get(workflow, "jobs")!;
        foreach (var (_, job) in jobs.Children)
        {
            Assert.NotNull(Text(job, "runs-on"));
            var steps = ((YamlSequenceNode)Get(job, "steps")!).Children.Cast<YamlMappingNode>().ToList();
            Assert.NotEmpty(steps);
            Assert.All(steps, step => Assert.True(Get(step, "uses") is null != Get(step, "run") is null, "a step has exactly one of uses and run"));
            Assert.All(steps.Select(s => Text(s, "uses")).OfType<string>(), uses => Assert.Matches(@"^[\w.-]+/[\w./-]+@v\d+$", uses));
            var ids = steps.Select(s => Text(s, "id")).OfType<string>().ToList();
            Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
            foreach (Match reference in StepOutput().Matches(File.ReadAllText(WorkflowPath)))
            {
                Assert.Contains(reference.Groups[1].Value, ids);
            }
        }

        var uses = Steps(workflow).Select(s => Text(s, "uses")).OfType<string>().Select(u => u.Split('@')[0]).ToList();
        Assert.Equal(["actions/checkout", "actions/setup-dotnet", "actions/cache/restore", "actions/cache/save", "actions/upload-artifact"], uses);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Watch_workflow_steps_record_then_evaluate_a_release_write_the_summary_open_its_issue_and_fail_on_FAIL()
    {
        Prerequisite.RequireInstalledByCi(File.Exists("/usr/bin/jq"), "the workflow's issue step needs jq (apt-get install jq; GitHub's runners have it)");
        using var ws = new WatchWorkspace(120);
        await using var server = await TestLlmServer.StartAsync(WatchWorkspace.Script(("prod", ws.Right()), ("old-1", ws.Right())), TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, WatchWorkspace.OpenAiSource("vendor", server.BaseUrl));
        var runner = new WorkflowRunner(ws.Root);

        var first = await runner.RunAsync(Steps(Workflow()));
        Assert.Equal((ExitCodes.Pass, ExitCodes.Pass), (first["watch"], first["Gate"]));
        Assert.Contains("first listing, recorded", runner.StepSummary(), StringComparison.Ordinal);
        Assert.DoesNotContain("gh issue", runner.GhLog(), StringComparison.Ordinal);

        server.AddModel("new-2", ws.RightOn(0.7));
        var second = await runner.RunAsync(Steps(Workflow()));
        Assert.Equal((ExitCodes.Pass, ExitCodes.Fail), (second["watch"], second["Gate"]));
        Assert.Equal("1", runner.Outputs["exit_code"]);
        Assert.Contains("| vendor | new-2 | **FAIL** | 1 |", runner.StepSummary(), StringComparison.Ordinal);
        Assert.Contains("gh issue create --title basedeval release watch: vendor/new-2 --body-file", runner.GhLog(), StringComparison.Ordinal);
        Assert.Contains("**FAIL** (exit code 1) for `vendor/new-2` against production.", runner.GhLog(), StringComparison.Ordinal);
        Assert.Contains("## BasedEval verdict: **FAIL**", runner.GhLog(), StringComparison.Ordinal);

        // An issue with that title exists now: a later evaluation of a model comments on it instead of opening another.
        runner.ExistingIssue = "12";
        server.AddModel("new-3", ws.Right());
        var third = await runner.RunAsync(Steps(Workflow()));
        Assert.Equal((ExitCodes.Pass, ExitCodes.Pass), (third["watch"], third["Gate"]));
        Assert.Contains("gh issue comment 12 --body-file", runner.GhLog(), StringComparison.Ordinal);
        Assert.Equal(120, server.RequestCount("new-3"));
    }

    [GeneratedRegex(@"steps\.([\w-]+)\.outputs")]
    private static partial Regex StepOutput();

    /// <summary>
    /// Runs a job's shell steps the way a GitHub runner does, with `basedeval` built by this test run standing in for the
    /// build step's output and a `gh` that records what it is asked. Steps that `uses:` an action are GitHub's own.
    /// </summary>
    private sealed partial class WorkflowRunner(string root)
    {
        private readonly string _bin = Directory.CreateDirectory(Path.Combine(root, ".runner", "bin")).FullName;

        public Dictionary<string, string> Outputs { get; } = new(StringComparer.Ordinal);

        public string? ExistingIssue { get; set; }

        private string RunnerFile(string name) => Path.Combine(root, ".runner", name);

        public string StepSummary() => File.Exists(RunnerFile("summary.md")) ? File.ReadAllText(RunnerFile("summary.md")) : string.Empty;

        public string GhLog() => File.Exists(RunnerFile("gh.log")) ? File.ReadAllText(RunnerFile("gh.log")) : string.Empty;

        /// <summary>Returns each run step's exit code by its id (or name); a step skipped by its condition is absent.</summary>
        [System.Runtime.Versioning.SupportedOSPlatform("linux")]
        public async Task<Dictionary<string, int>> RunAsync(IReadOnlyList<YamlMappingNode> steps)
        {
            WriteTools();
            File.Delete(RunnerFile("summary.md"));
            Outputs.Clear();
            var codes = new Dictionary<string, int>(StringComparer.Ordinal);
            var failed = false;
            foreach (var step in steps.Where(s => Text(s, "run") is not null && Text(s, "id") != "build"))
            {
                if (failed && Text(step, "if") != "always()")
                {
                    continue;
                }

                var code = await RunStepAsync(step);
                codes[Text(step, "id") ?? Text(step, "name")!] = code;
                failed |= code != 0;
            }

            return codes;
        }

        private async Task<int> RunStepAsync(YamlMappingNode step)
        {
            var script = Path.Combine(root, ".runner", "step.sh");
            await File.WriteAllTextAsync(script, Text(step, "run"));
            var info = new ProcessStartInfo("bash", ["--noprofile", "--norc", "-eo", "pipefail", script])
            {
                WorkingDirectory = root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var (name, value) in Environment(step))
            {
                info.Environment[name] = value;
            }

            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            TestContext.Current.TestOutputHelper?.WriteLine($"step {Text(step, "name")}: exit {process.ExitCode}\n{await output}{await error}");
            foreach (var line in File.Exists(RunnerFile("output")) ? File.ReadAllLines(RunnerFile("output")) : [])
            {
                var equals = line.IndexOf('=', StringComparison.Ordinal);
                Outputs[line[..equals]] = line[(equals + 1)..];
            }

            return process.ExitCode;
        }

        private Dictionary<string, string> Environment(YamlMappingNode step)
        {
            var env = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["PATH"] = _bin + ":" + System.Environment.GetEnvironmentVariable("PATH"),
                ["GITHUB_OUTPUT"] = RunnerFile("output"),
                ["GITHUB_STEP_SUMMARY"] = RunnerFile("summary.md"),
                ["GITHUB_PATH"] = RunnerFile("path"),
                ["GITHUB_RUN_ID"] = "1001",
                ["GITHUB_SERVER_URL"] = "https://github.example",
                ["GITHUB_REPOSITORY"] = "team/evals",
                ["RUNNER_TEMP"] = RunnerFile("temp"),
                ["GH_LOG"] = RunnerFile("gh.log"),
                ["GH_ISSUES"] = ExistingIssue ?? string.Empty,
            };
            foreach (var scope in new[] { Get(Workflow(), "env"), Get(step, "env") })
            {
                foreach (var (key, value) in (scope as YamlMappingNode)?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
                {
                    env[((YamlScalarNode)key).Value!] = Expression().Replace(((YamlScalarNode)value).Value!, m => Evaluate(m.Groups[1].Value));
                }
            }

            return env;
        }

        /// <summary>The expressions the workflow's env blocks use; any other is a test failure, not a silent empty string.</summary>
        private string Evaluate(string expression) => expression switch
        {
            _ when expression.StartsWith("secrets.", StringComparison.Ordinal) => string.Empty,
            "github.token" => "test-token",
            _ when expression.StartsWith("inputs.", StringComparison.Ordinal) => "false",
            _ when expression.StartsWith("steps.", StringComparison.Ordinal) => Outputs.GetValueOrDefault(expression.Split('.')[^1], string.Empty),
            _ => throw new InvalidOperationException($"the workflow test cannot evaluate ${{{{ {expression} }}}}"),
        };

        [System.Runtime.Versioning.SupportedOSPlatform("linux")]
        private void WriteTools()
        {
            Directory.CreateDirectory(RunnerFile("temp"));
            File.Delete(RunnerFile("output"));
            Tool("basedeval", $"#!/bin/sh\nexec dotnet \"{Path.Combine(AppContext.BaseDirectory, "basedeval.dll")}\" \"$@\"\n");
            // gh as the workflow calls it: `issue list` prints the existing issue's number (the real one filters with
            // --jq), and every call is logged with the body file it was given.
            Tool("gh", """
                #!/bin/bash
                echo "gh $*" >> "$GH_LOG"
                if [ "$1 $2" = "issue list" ] && [ -n "$GH_ISSUES" ]; then echo "$GH_ISSUES"; fi
                args=("$@")
                for ((i = 0; i < ${#args[@]}; i++)); do
                  if [ "${args[i]}" = "--body-file" ]; then cat "${args[i + 1]}" >> "$GH_LOG"; fi
                done
                """);
        }

        [System.Runtime.Versioning.SupportedOSPlatform("linux")]
        private void Tool(string name, string script)
        {
            var path = Path.Combine(_bin, name);
            File.WriteAllText(path, script);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        [GeneratedRegex(@"\$\{\{\s*(.+?)\s*\}\}")]
        private static partial Regex Expression();
    }
}
