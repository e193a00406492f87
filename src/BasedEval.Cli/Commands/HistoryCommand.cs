using System.CommandLine;
using System.Text;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Reporting;

namespace BasedEval.Cli.Commands;

/// <summary>A target's accuracy on a suite across stored runs: a table in the terminal and a chart in an HTML page.</summary>
internal static class HistoryCommand
{
    public static Command Create()
    {
        var config = CommandSupport.ConfigOption();
        var target = new Option<string>("--target", "-t") { Description = "Target name, as in evals.yaml", Required = true };
        var suite = new Option<string>("--suite", "-s") { Description = "Suite name", Required = true };
        var output = new Option<string?>("--out", "-o") { Description = "Folder for the HTML page; default reports/history/" };
        var command = new Command("history", "Trend of a target's accuracy on a suite across stored runs") { config, target, suite, output };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async console =>
        {
            var evalConfig = ConfigLoader.Load(parse.GetValue(config)!);
            var targetName = parse.GetValue(target)!;
            var suiteName = parse.GetValue(suite)!;
            await using var store = await CommandSupport.OpenStoreAsync(evalConfig, parse, cancellationToken);
            var history = await RunHistory.LoadAsync(store, targetName, suiteName, cancellationToken);
            if (history.Points.Count == 0)
            {
                var runs = await store.ListRunsAsync(cancellationToken);
                var targets = runs.Select(r => r.TargetName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                throw new ConfigException(
                    $"the store {evalConfig.StorePath} has no scored run of target `{targetName}` on suite `{suiteName}`",
                    targets.Count == 0 ? "run it first with `basedeval run`" : $"targets with stored runs: {string.Join(", ", targets)}; list runs with `basedeval runs`");
            }

            await console.WriteAsync(history.ToText());
            var folder = parse.GetValue(output) ?? Path.Combine(evalConfig.ReportsDirectory, "history");
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, $"history-{Safe(targetName)}-{Safe(suiteName)}.html");
            await File.WriteAllTextAsync(path, history.ToHtml(), new UTF8Encoding(false), cancellationToken);
            await console.WriteLineAsync($"wrote {Path.GetRelativePath(Environment.CurrentDirectory, path)}");
            return ExitCodes.Pass;
        }));
        return command;
    }

    private static string Safe(string name) => new(name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '-').ToArray());
}
