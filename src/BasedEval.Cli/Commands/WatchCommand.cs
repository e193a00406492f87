using System.CommandLine;
using System.Globalization;
using BasedEval.Cli.Display;
using BasedEval.Core.Config;
using BasedEval.Core.Running;
using BasedEval.Core.Watch;

namespace BasedEval.Cli.Commands;

internal static class WatchCommand
{
    public static Command Create()
    {
        var config = CommandSupport.ConfigOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "List the sources and print what would run, with item counts and estimated cost; send and record nothing" };
        var all = new Option<bool>("--all") { Description = "Also evaluate models a source listed before any watch ran (its first listing is otherwise recorded as known)" };
        var notifyJson = new Option<string?>("--notify-json") { Description = "Write the sources, the new models, their verdicts and report paths as JSON (schema basedeval.watch) to this file" };
        var summary = new Option<string?>("--summary") { Description = "Write a Markdown summary (for $GITHUB_STEP_SUMMARY) with each new model's summary.md to this file" };
        var command = new Command("watch", "Compare every model new in the watched sources against production: 0 nothing new or all PASS, 1 any FAIL, 3 any INCONCLUSIVE, 4 a source or run failed")
        {
            config, dryRun, all, notifyJson, summary,
        };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async output =>
        {
            var evalConfig = ConfigLoader.Load(parse.GetValue(config)!);
            if (evalConfig.Watch is null)
            {
                throw new ConfigException($"{evalConfig.SourcePath} has no `watch:` section", "add one naming the production target and the sources to watch (README.md, Release watch)");
            }

            await using var store = await CommandSupport.OpenStoreAsync(evalConfig, parse, cancellationToken);
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var watch = new ReleaseWatch(evalConfig, store, CommandSupport.Targets(), ConsoleRunObserver.For(output), new Lines(output), new ReleaseSources(http));
            var outcome = await watch.RunAsync(new WatchOptions(parse.GetValue(dryRun), parse.GetValue(all)), cancellationToken);

            if (outcome.Models.Count == 0)
            {
                await output.WriteLineAsync("nothing new to evaluate");
            }

            if (parse.GetValue(notifyJson) is { } jsonPath)
            {
                await WatchReports.WriteJsonAsync(outcome, jsonPath, cancellationToken);
                await output.WriteLineAsync($"wrote {jsonPath}");
            }

            if (parse.GetValue(summary) is { } summaryPath)
            {
                await WatchReports.WriteMarkdownAsync(outcome, summaryPath, cancellationToken);
                await output.WriteLineAsync($"wrote {summaryPath}");
            }

            return outcome.DryRun && outcome.Sources.All(s => s.Error is null) ? 0 : outcome.ExitCode;
        }));
        return command;
    }

    /// <summary>The line CI logs and people grep: the model, its verdict, and where its report is.</summary>
    private static string ResultLine(WatchedModelResult model)
    {
        var report = model.ReportHtml is { } html ? Path.GetRelativePath(Environment.CurrentDirectory, html) : string.Join("; ", model.Reasons);
        return $"{model.TargetName}  {WatchReports.Label(model)}  {report}";
    }

    private static string DryRunLine(WatchedModelResult model)
    {
        var estimates = model.Estimates ?? [];
        var parts = estimates.Select(e => string.Create(CultureInfo.InvariantCulture,
            $"{e.TargetName}: {e.Planned} samples, {e.ToSend} to send{(e.CacheChecked ? string.Empty : " (local: stored answers not looked up)")}, about ${e.EstimatedUsd:0.####}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"would evaluate {model.TargetName}: {string.Join("; ", parts)}; at most ${estimates.Sum(e => e.EstimatedUsd):0.####} with max_tokens of output (about {RunEstimate.AssumedOutputTokens} where none is set)");
    }

    private sealed class Lines(TextWriter output) : IWatchObserver
    {
        public void SourceListed(SourceListing listing)
        {
            if (listing.Error is not null)
            {
                output.WriteLine($"source {listing.Source}: could not be listed: {listing.Error}");
                return;
            }

            var what = listing.FirstListing && listing.New.Count > 0 ? $"{listing.New.Count} recorded" : $"{listing.New.Count} new";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"source {listing.Source}: {listing.Listed} listed, {listing.Selected} selected, {what}{Names(listing.New)}{Gone(listing)}"));
        }

        public void ModelStarting(string source, string modelId, bool resumed) =>
            output.WriteLine(resumed ? $"{source}/{modelId}: finishing the evaluation an earlier watch began" : $"{source}/{modelId}: evaluating against production");

        public void ModelFinished(WatchedModelResult result) => output.WriteLine(result.Estimates is null ? ResultLine(result) : DryRunLine(result));

        private static string Names(IReadOnlyList<string> ids) => ids.Count is > 0 and <= 10 ? $" ({string.Join(", ", ids)})" : string.Empty;

        private static string Gone(SourceListing listing) =>
            (listing.Disappeared.Count > 0 ? $"; no longer listed: {string.Join(", ", listing.Disappeared)}" : string.Empty)
            + (listing.Returned.Count > 0 ? $"; listed again: {string.Join(", ", listing.Returned)}" : string.Empty);
    }
}
