using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Reporting;
using BasedEval.Core.SweBench;

namespace BasedEval.Cli.Commands;

/// <summary>`basedeval swebench compare`: two `swebench eval` reports on the same instances, paired, with the instances that flipped.</summary>
internal static class SweBenchCompareCommand
{
    public static Command Create()
    {
        var baseline = new Argument<string>("baseline") { Description = "report.json of the baseline's `swebench eval`" };
        var candidate = new Argument<string>("candidate") { Description = "report.json of the candidate's `swebench eval`" };
        var output = new Option<string?>("--out", "-o") { Description = "Also write the comparison as JSON to this file" };
        var command = new Command("compare", "Pair two evaluated prediction sets by instance: difference in resolved rate, McNemar's test, flipped instances, cost per resolved")
        {
            baseline, candidate, output,
        };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async console =>
        {
            var before = await LoadAsync(parse.GetValue(baseline)!, cancellationToken);
            var after = await LoadAsync(parse.GetValue(candidate)!, cancellationToken);
            SweBenchComparison comparison;
            try
            {
                comparison = SweBenchComparison.From(before.Instances, after.Instances);
            }
            catch (ArgumentException)
            {
                throw new ConfigException(
                    $"{parse.GetValue(baseline)} and {parse.GetValue(candidate)} evaluate different instances ({before.Instances.Count} and {after.Instances.Count})",
                    "evaluate both prediction sets on the same instances (the same --instances file and --instance ids)");
            }

            var paired = comparison.Paired;
            var inv = CultureInfo.InvariantCulture;
            await console.WriteLineAsync($"baseline  {before.Model}: {SweBenchCommand.Rate(before.Report.Overall)}");
            await console.WriteLineAsync($"candidate {after.Model}: {SweBenchCommand.Rate(after.Report.Overall)}");
            await console.WriteLineAsync(string.Create(inv,
                $"paired on {paired.N} instances: both resolved {paired.BothCorrect}, only baseline {paired.BaselineOnly}, only candidate {paired.CandidateOnly}, neither {paired.BothWrong}"));
            await console.WriteLineAsync(string.Create(inv,
                $"difference {100 * paired.Difference:+0.0;-0.0;0.0} points (95% CI {100 * paired.DifferenceInterval.Lower:0.0} to {100 * paired.DifferenceInterval.Upper:0.0}), McNemar exact p = {paired.McNemarExactP:0.####}"));
            await console.WriteLineAsync($"resolved only by the baseline:  {List(comparison.OnlyBaselineResolved)}");
            await console.WriteLineAsync($"resolved only by the candidate: {List(comparison.OnlyCandidateResolved)}");
            if (parse.GetValue(output) is { } path)
            {
                await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new { Baseline = before.Model, Candidate = after.Model, Comparison = comparison }, ReportJson.Options), cancellationToken);
            }

            return ExitCodes.Pass;
        }));
        return command;
    }

    private static string List(IReadOnlyList<string> ids) => ids.Count == 0 ? "none" : string.Join(", ", ids);

    private static async Task<SweBenchRunDocument> LoadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException($"{path} does not exist", "pass the report.json that `swebench eval` wrote (its path is printed last)");
        }

        try
        {
            return JsonSerializer.Deserialize<SweBenchRunDocument>(await File.ReadAllTextAsync(path, cancellationToken), ReportJson.Options)
                ?? throw new JsonException("the file holds null");
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{path} is not a `swebench eval` report: {e.Message}", "pass the report.json that `swebench eval` wrote");
        }
    }
}
