using System.CommandLine;
using System.Text.Json;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Reporting;
using BasedEval.Core.Storage;

namespace BasedEval.Cli.Commands;

/// <summary>Writes reports of a stored comparison from the document stored with it; nothing is re-run or re-read from YAML.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var config = CommandSupport.ConfigOption();
        var id = new Argument<string>("comparison-id") { Description = "The comparison id that `basedeval compare` printed (also the folder name under reports/)" };
        var format = new Option<string[]>("--format", "-f")
        {
            Description = $"Formats, comma-separated or repeated: {string.Join(", ", ReportSet.Formats)}",
            DefaultValueFactory = _ => ["html,md,json,junit"],
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<string?>("--out", "-o") { Description = "Folder to write into; default reports/<comparison-id>/" };
        var monthly = new Option<long>("--monthly-requests") { Description = "Requests a month for the cost projection", DefaultValueFactory = _ => HtmlReportWriter.DefaultMonthlyRequests };
        var command = new Command("report", "Write the reports of a stored comparison") { config, id, format, output, monthly };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async console =>
        {
            var evalConfig = ConfigLoader.Load(parse.GetValue(config)!);
            var comparisonId = parse.GetValue(id)!;
            if (parse.GetValue(monthly) <= 0)
            {
                throw new ConfigException("--monthly-requests must be positive", "give the number of requests a month, such as 1000000");
            }

            var selection = ReportSet.Select(parse.GetValue(format)!, new HtmlReportWriter(parse.GetValue(monthly)));
            await using var store = await CommandSupport.OpenStoreAsync(evalConfig, parse, cancellationToken);
            var record = await store.GetComparisonAsync(comparisonId, cancellationToken)
                ?? throw NotFound(comparisonId, await store.GetRunAsync(comparisonId, cancellationToken) is not null, evalConfig);
            var comparison = Read(record);
            IReadOnlyList<Sample> samples = [];
            if (selection.Writers.Any(w => w.ReadsSamples))
            {
                samples = [.. await store.GetSamplesAsync(record.BaselineRunId, cancellationToken), .. await store.GetSamplesAsync(record.CandidateRunId, cancellationToken)];
            }

            var folder = parse.GetValue(output) ?? Path.Combine(evalConfig.ReportsDirectory, comparison.Id);
            var files = await ReportSet.WriteToAsync(new ReportInput(comparison, samples), folder, selection.Writers, cancellationToken);
            foreach (var file in files)
            {
                await console.WriteLineAsync($"wrote {Path.GetRelativePath(Environment.CurrentDirectory, file)}");
            }

            foreach (var skipped in selection.Skipped)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(skipped);
            }

            return ExitCodes.Pass;
        }));
        return command;
    }

    private static ComparisonResult Read(ComparisonRecord record)
    {
        var comparison = JsonSerializer.Deserialize<ComparisonResult>(record.DocumentJson, ReportJson.Options)
            ?? throw new ConfigException($"the stored document of comparison `{record.Id}` is empty", "run the comparison again with `basedeval compare`");
        if (comparison.Schema != ComparisonResult.SchemaName || comparison.SchemaVersion > ComparisonResult.CurrentSchemaVersion)
        {
            throw new ConfigException(
                $"comparison `{record.Id}` was stored as {comparison.Schema} version {comparison.SchemaVersion}, which this basedeval (version {ComparisonResult.CurrentSchemaVersion}) cannot read",
                "write its reports with the basedeval version that created it");
        }

        return comparison;
    }

    private static ConfigException NotFound(string id, bool isRun, EvalConfig config) =>
        isRun
            ? new ConfigException($"`{id}` is a run, not a comparison", $"compare it with another run: `basedeval compare --baseline-run {id} --candidate-run <run-id>`")
            : new ConfigException($"there is no comparison `{id}` in the store {config.StorePath}", "use the id that `basedeval compare` printed; it is also the folder name under the reports directory");
}
