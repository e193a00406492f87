using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Reporting;
using BasedEval.Core.SweBench;

namespace BasedEval.Cli.Commands;

/// <summary>`basedeval swebench` (generate and compare live in their own classes) and `swebench eval`: scores SWE-bench predictions (or the gold patches) on this machine or in Docker containers.</summary>
internal static class SweBenchCommand
{
    public static Command Create()
    {
        var command = new Command("swebench", "Generate SWE-bench patches with a target, evaluate predictions with the local runner, compare two evaluations");
        command.Subcommands.Add(SweBenchGenerateCommand.Create());
        command.Subcommands.Add(Eval());
        command.Subcommands.Add(SweBenchCompareCommand.Create());
        return command;
    }

    private static Command Eval()
    {
        var instances = new Option<string>("--instances") { Description = "SWE-bench instances (the official JSON Lines or JSON array)", Required = true };
        var predictions = new Option<string?>("--predictions") { Description = "Predictions: instance_id, model_name_or_path, model_patch per record (JSON Lines or JSON array)" };
        var gold = new Option<bool>("--gold") { Description = "Evaluate the instances' gold patches instead of predictions: shows what this environment can resolve at all" };
        var repos = new Option<string>("--repos") { Description = "Folder of local git repositories named owner__name", Required = true };
        var ids = new Option<string[]>("--instance") { Description = "Evaluate only this instance id (repeatable)", AllowMultipleArgumentsPerToken = false };
        var parallel = new Option<int>("--parallel") { Description = "Instances evaluated at once", DefaultValueFactory = _ => 1 };
        var timeout = new Option<int>("--timeout-s") { Description = "Wall-clock limit of each instance's test run, in seconds", DefaultValueFactory = _ => 600 };
        var python = new Option<string>("--python") { Description = "Interpreter that runs the tests (default $BASEDEVAL_PYTHON, else /usr/bin/python3)", DefaultValueFactory = _ => LocalSweBenchOptions.DefaultPython };
        var environment = new Option<SweBenchEnvironment>("--env")
        {
            Description = "Interpreter: run the checkout on --python as is; Venv: a throwaway venv over --python's packages with the checkout installed editable, offline",
            DefaultValueFactory = _ => SweBenchEnvironment.Interpreter,
        };
        var olderPython = new Option<string?>("--older-python") { Description = "Python 3.9 for repositories whose recipe needs it (old pytest); default ~/.pyenv/versions/3.9.18/bin/python3.9" };
        var noPreCheck = new Option<bool>("--no-pre-check") { Description = "Skip the run with the test patch alone that finds FAIL_TO_PASS tests passing without any fix (halves the time)" };
        var output = new Option<string?>("--out", "-o") { Description = "Folder for report.json and the per-instance logs; default reports/swebench-<model>-<time>/" };
        var backend = new SweBenchBackend();
        var command = new Command("eval", "Apply each prediction and its test patch to a clean checkout, run the tests (here or in containers), and report the resolved rate")
        {
            instances, predictions, gold, repos, ids, parallel, timeout, python, environment, olderPython, noPreCheck, output,
        };
        foreach (var option in backend.Options)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async console =>
        {
            var error = parse.InvocationConfiguration.Error;
            var predictionsPath = parse.GetValue(predictions);
            if (parse.GetValue(gold) == (predictionsPath is not null))
            {
                throw new ConfigException("give either --predictions FILE or --gold", "--predictions scores a model's patches; --gold validates the environment with the dataset's own patches");
            }

            if (parse.GetValue(parallel) < 1 || parse.GetValue(timeout) < 1)
            {
                throw new ConfigException("--parallel and --timeout-s must be at least 1", "pass positive numbers");
            }

            var instancesPath = parse.GetValue(instances)!;
            var all = SweBenchInstances.Load(instancesPath);
            var selected = parse.GetValue(ids) is { Length: > 0 } wanted ? new HashSet<string>(wanted, StringComparer.Ordinal) : null;
            if (selected?.FirstOrDefault(id => all.All(i => i.InstanceId != id)) is { } unknown)
            {
                throw new ConfigException($"--instance {unknown} is not in {instancesPath}", "use an instance_id of the instances file");
            }

            var predicted = predictionsPath is null ? SweBenchPredictions.Gold(all) : SweBenchPredictions.Load(predictionsPath);
            var work = SweBenchPredictions.Match(predictionsPath ?? instancesPath, all, predicted)
                .Where(w => selected is null || selected.Contains(w.Instance.InstanceId))
                .ToList();
            if (work.Count == 0)
            {
                throw new ConfigException("no prediction is left to evaluate", "check that --instance names instances the predictions cover");
            }

            using var docker = await backend.DockerAsync(parse, parse.GetValue(repos)!, TimeSpan.FromSeconds(parse.GetValue(timeout)), !parse.GetValue(noPreCheck), cancellationToken);
            var executor = docker ?? await LocalAsync(parse, error, cancellationToken);
            if (docker is not null)
            {
                await console.WriteLineAsync($"backend: docker at {docker.Host}");
                await docker.PrepareBaseImagesAsync(work.Select(w => w.Instance), console, cancellationToken);
            }

            var model = work.Select(w => w.Prediction.ModelNameOrPath).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var startedAt = DateTimeOffset.UtcNow;
            var folder = parse.GetValue(output) ?? Path.Combine("reports", $"swebench-{Safe(string.Join('+', model))}-{startedAt:yyyyMMdd-HHmmss}");
            await console.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"evaluating {work.Count} prediction(s) of {string.Join(", ", model)}, {parse.GetValue(parallel)} at a time"));

            var done = 0;
            var evaluations = await SweBenchRun.EvaluateAsync(
                executor, work, parse.GetValue(parallel),
                new SynchronousProgress(e => console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{Interlocked.Increment(ref done)}/{work.Count}] {e.InstanceId} {Name(e.Outcome)} ({e.Elapsed.TotalSeconds:0.0} s)"))),
                cancellationToken);

            var rows = work.Zip(evaluations, (w, e) => SweBenchInstanceResult.From(w.Instance, e)).ToList();
            var costs = work.Where(w => w.Prediction.CostUsd is not null).ToDictionary(w => w.Instance.InstanceId, w => w.Prediction.CostUsd!.Value, StringComparer.Ordinal);
            var report = SweBenchReport.From([.. work.Select(w => w.Instance)], evaluations, costs);
            var document = new SweBenchRunDocument(string.Join(", ", model), instancesPath, predictionsPath, startedAt, report, rows);
            Directory.CreateDirectory(Path.Combine(folder, "logs"));
            await File.WriteAllTextAsync(Path.Combine(folder, "report.json"), JsonSerializer.Serialize(document, ReportJson.Options), cancellationToken);
            foreach (var (item, evaluation) in work.Zip(evaluations))
            {
                await SweBenchInstanceLogs.WriteAsync(Path.Combine(folder, "logs", Safe(evaluation.InstanceId)), item.Instance, item.Prediction.ModelPatch, evaluation, cancellationToken);
            }

            await WriteTableAsync(console, rows, report);
            await console.WriteLineAsync($"report: {Path.Combine(folder, "report.json")}");
            if (docker is not null && backend.Clean(parse))
            {
                await console.WriteLineAsync($"removed {string.Join(", ", await docker.CleanAsync(cancellationToken))}");
            }

            return ExitCodes.Pass;
        }));
        return command;

        async Task<ISweBenchExecutor> LocalAsync(ParseResult parse, TextWriter error, CancellationToken cancellationToken)
        {
            var executor = new LocalSweBenchExecutor(new LocalSweBenchOptions(
                parse.GetValue(repos)!, parse.GetValue(python)!, TimeSpan.FromSeconds(parse.GetValue(timeout)), Environment: parse.GetValue(environment),
                OlderPython: parse.GetValue(olderPython), PreCheck: !parse.GetValue(noPreCheck)));
            if (await executor.UnavailableReasonAsync(cancellationToken) is { } unavailable)
            {
                throw new ConfigException(unavailable, "pass --python with an interpreter that has pytest");
            }

            if (executor.IsolationWarning is { } warning)
            {
                await error.WriteLineAsync($"warning: {warning}");
            }

            return executor;
        }
    }

    private static async Task WriteTableAsync(TextWriter console, IReadOnlyList<SweBenchInstanceResult> rows, SweBenchReport report)
    {
        var width = rows.Max(r => r.InstanceId.Length);
        await console.WriteLineAsync();
        await console.WriteLineAsync($"{"instance".PadRight(width)}  {"outcome",-12}  {"F2P",-7}  {"before",-7}  {"P2P",-9}  {"time",7}  reason");
        foreach (var row in rows)
        {
            var before = row.FailToPassPassedBefore is { } passed ? $"{passed}/{row.FailToPass}" : "-";
            await console.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{row.InstanceId.PadRight(width)}  {Name(row.Outcome),-12}  {$"{row.FailToPassPassed}/{row.FailToPass}",-7}  {before,-7}  {$"{row.PassToPassPassed}/{row.PassToPass}",-9}  {row.ElapsedSeconds,5:0.0} s  {Shorten(row.Reason)}"));
        }

        // "before" counts FAIL_TO_PASS tests passing with the test patch alone: there, resolving proves nothing about a fix.
        if (rows.Where(r => r.FailToPassPassedBefore > 0).Select(r => r.InstanceId).ToList() is { Count: > 0 } unfit)
        {
            await console.WriteLineAsync();
            await console.WriteLineAsync($"FAIL_TO_PASS already passing before the patch (resolving them shows no fix): {string.Join(", ", unfit)}");
        }

        await console.WriteLineAsync();
        await console.WriteLineAsync($"resolved: {Rate(report.Overall)}");
        foreach (var (repo, rate) in report.ByRepository)
        {
            await console.WriteLineAsync($"  {repo}: {Rate(rate)}");
        }
    }

    /// <summary>One line per rate, shared with `swebench compare`; the cost part only where the predictions carried their cost.</summary>
    internal static string Rate(ResolvedRate rate) => string.Create(CultureInfo.InvariantCulture,
        $"{rate.Resolved}/{rate.Total} = {100 * rate.Rate:0.0}% (95% Wilson {100 * rate.Interval.Lower:0.0}%–{100 * rate.Interval.Upper:0.0}%); patch failed {rate.PatchFailed}, environment errors {rate.Errors}")
        + (rate.CostUsd is { } cost ? string.Create(CultureInfo.InvariantCulture, $"; cost ${cost:0.####}, {(rate.CostPerResolvedUsd is { } per ? $"${per:0.####}" : "n/a")} per resolved instance") : string.Empty);

    private static string Name(SweBenchOutcome outcome) => outcome switch
    {
        SweBenchOutcome.Resolved => "RESOLVED",
        SweBenchOutcome.Unresolved => "UNRESOLVED",
        SweBenchOutcome.PatchFailed => "PATCH_FAILED",
        _ => "ERROR",
    };

    private static string Shorten(string text) => text.Length > 120 ? text[..120] + "…" : text;

    internal static string Safe(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    /// <summary>Reports on the calling thread; <see cref="Progress{T}"/> would post to the thread pool and could print after the table.</summary>
    private sealed class SynchronousProgress(Action<SweBenchEvaluation> report) : IProgress<SweBenchEvaluation>
    {
        private readonly Lock _gate = new();

        public void Report(SweBenchEvaluation value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
