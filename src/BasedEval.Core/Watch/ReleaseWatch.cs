using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Running;
using BasedEval.Core.Storage;
using BasedEval.Core.Targets;

namespace BasedEval.Core.Watch;

/// <param name="DryRun">List the sources and say what would run, at what cost; send nothing and record nothing.</param>
/// <param name="All">Evaluate every listed model that has no verdict yet, a source's first listing included.</param>
public sealed record WatchOptions(bool DryRun = false, bool All = false);

/// <param name="Error">Why the source could not be listed; null when it was.</param>
public sealed record SourceListing(
    string Source,
    int Listed,
    int Selected,
    bool FirstListing,
    IReadOnlyList<string> New,
    IReadOnlyList<string> Disappeared,
    IReadOnlyList<string> Returned,
    string? Error = null);

/// <summary>One model the watch evaluated (or, in a dry run, would evaluate).</summary>
/// <param name="ExitCode">The comparison's own exit code, or 4 where the model could not be evaluated.</param>
/// <param name="Finished">True once the model is recorded as evaluated and will not run again.</param>
/// <param name="Estimates">Dry run only: what production and the model would send, and about what that costs.</param>
public sealed record WatchedModelResult(
    string Source,
    string ModelId,
    string TargetName,
    Decision? Verdict,
    int ExitCode,
    bool Finished,
    string? ComparisonId,
    IReadOnlyList<string> ReportFiles,
    IReadOnlyList<string> Reasons,
    IReadOnlyList<RunEstimate>? Estimates = null)
{
    public string? ReportHtml => Report("report.html");

    public string? SummaryMd => Report("summary.md");

    public string? ComparisonJson => Report("comparison.json");

    public string? JunitXml => Report("junit.xml");

    private string? Report(string fileName) => ReportFiles.FirstOrDefault(f => Path.GetFileName(f) == fileName);
}

public sealed record WatchOutcome(DateTimeOffset StartedUtc, bool DryRun, IReadOnlyList<SourceListing> Sources, IReadOnlyList<WatchedModelResult> Models)
{
    /// <summary>
    /// FAIL wins, since it is what the watch exists to catch; then a run error or a source that could not be listed (4),
    /// so an outage is not read as a verdict; then INCONCLUSIVE; 0 when nothing is new or every new model passed.
    /// </summary>
    public int ExitCode =>
        Models.Any(m => m.Verdict == Decision.Fail && m.ExitCode == ExitCodes.Fail) ? ExitCodes.Fail
        : Sources.Any(s => s.Error is not null) || Models.Any(m => m.ExitCode == ExitCodes.RunError) ? ExitCodes.RunError
        : Models.Any(m => m.ExitCode == ExitCodes.Inconclusive) ? ExitCodes.Inconclusive
        : ExitCodes.Pass;
}

/// <summary>What the watch says as it goes, so a long evaluation is not silent.</summary>
public interface IWatchObserver
{
    void SourceListed(SourceListing listing);

    void ModelStarting(string source, string modelId, bool resumed);

    void ModelFinished(WatchedModelResult result);
}

/// <summary>
/// The release watch: lists every source, records what is new in the store, and runs the same comparison as
/// <c>basedeval compare</c> for each new model against production. The store is its memory: a model is marked pending
/// before its evaluation starts and evaluated once its comparison is stored, so a watch that dies midway finishes the
/// model next time, its answered samples coming back from the response cache instead of being paid for again.
/// </summary>
public sealed class ReleaseWatch(EvalConfig config, IResultStore store, TargetFactory targets, IRunObserver runObserver, IWatchObserver watchObserver, ReleaseSources sources)
{
    public async Task<WatchOutcome> RunAsync(WatchOptions options, CancellationToken cancellationToken)
    {
        var watch = config.Watch ?? throw new ConfigException(
            $"{config.SourcePath} has no `watch:` section",
            "add one naming the production target and the sources to watch (README.md, Release watch)");
        var started = DateTimeOffset.UtcNow;
        var listings = new List<SourceListing>();
        var results = new List<WatchedModelResult>();
        foreach (var source in watch.Sources.Values)
        {
            var (listing, due) = await ListAsync(source, options, cancellationToken);
            listings.Add(listing);
            watchObserver.SourceListed(listing);
            foreach (var model in due)
            {
                WatchedModelResult result;
                if (options.DryRun)
                {
                    result = await EstimateAsync(watch, source, model.ModelId, cancellationToken);
                }
                else
                {
                    watchObserver.ModelStarting(source.Name, model.ModelId, resumed: model.Status == WatchedStatus.Pending && model.FirstSeenUtc < started);
                    result = await EvaluateAsync(watch, source, model, cancellationToken);
                }

                results.Add(result);
                watchObserver.ModelFinished(result);
            }
        }

        return new WatchOutcome(started, options.DryRun, listings, results);
    }

    /// <summary>
    /// Lists one source and records the listing: ids never seen become pending (or known, in a source's first listing),
    /// and every model keeps whether the listing still holds it. Returns the models due for evaluation.
    /// </summary>
    private async Task<(SourceListing Listing, List<WatchedModel> Due)> ListAsync(ReleaseSourceConfig source, WatchOptions options, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> listed;
        try
        {
            listed = await sources.ListAsync(source, cancellationToken);
        }
        catch (ReleaseSourceException e)
        {
            return (new SourceListing(source.Name, 0, 0, false, [], [], [], e.Message), []);
        }

        var selected = listed.Where(source.Selects).Distinct(StringComparer.Ordinal).ToList();
        var selectedSet = selected.ToHashSet(StringComparer.Ordinal);
        var known = await store.GetWatchedSourceAsync(source.Name, cancellationToken);
        var firstListing = known is null;
        var byId = (known?.Models ?? []).ToDictionary(m => m.ModelId, StringComparer.Ordinal);
        var now = DateTimeOffset.UtcNow;

        var updates = new List<WatchedModel>();
        var newIds = selected.Where(id => !byId.ContainsKey(id)).ToList();
        foreach (var id in newIds)
        {
            updates.Add(new WatchedModel(source.Name, id, firstListing && !options.All ? WatchedStatus.Known : WatchedStatus.Pending, true, now, now));
        }

        var disappeared = byId.Values.Where(m => m.Listed && !selectedSet.Contains(m.ModelId)).Select(m => m.ModelId).ToList();
        var returned = byId.Values.Where(m => !m.Listed && selectedSet.Contains(m.ModelId)).Select(m => m.ModelId).ToList();
        foreach (var model in byId.Values)
        {
            var listedNow = selectedSet.Contains(model.ModelId);
            updates.Add(model with { Listed = listedNow, LastListedUtc = listedNow ? now : model.LastListedUtc });
        }

        if (!options.DryRun)
        {
            await store.SaveWatchedAsync(source.Name, now, updates, cancellationToken);
        }

        // A pending model that left the listing cannot be called; it is reported as gone and runs if it comes back.
        var due = updates
            .Where(m => m.Listed && (m.Status == WatchedStatus.Pending || (options.All && m.Status == WatchedStatus.Known)))
            .OrderBy(m => selected.IndexOf(m.ModelId))
            .ToList();
        return (new SourceListing(source.Name, listed.Count, selected.Count, firstListing, newIds, disappeared, returned), due);
    }

    private async Task<WatchedModelResult> EvaluateAsync(WatchConfig watch, ReleaseSourceConfig source, WatchedModel model, CancellationToken cancellationToken)
    {
        var target = source.TargetFor(model.ModelId);
        var evaluation = new Evaluation(WithModel(watch, target, out var comparisonName), store, targets, runObserver);
        try
        {
            var outcome = await evaluation.CompareAsync(new CompareRequest(comparisonName, null, null, watch.Limit), cancellationToken);
            var result = outcome.Result;

            // Samples that failed after all retries leave the model pending: the next watch sends just those again.
            var finished = result.ExitCode != ExitCodes.RunError;
            if (finished)
            {
                await store.SaveWatchedAsync(source.Name, DateTimeOffset.UtcNow, [model with { Status = WatchedStatus.Evaluated, ComparisonId = result.Id, Verdict = result.Verdict.ToString().ToUpperInvariant() }], CancellationToken.None);
            }

            return new WatchedModelResult(source.Name, model.ModelId, target.Name, result.Verdict, result.ExitCode, finished, result.Id, outcome.ReportFiles, result.Reasons);
        }
        catch (RunStoppedException e)
        {
            return Unfinished(source, model.ModelId, target, $"{e.TargetName} stopped: {e.Reason}; everything answered is stored and the next watch continues from it");
        }
        catch (Exception e) when (e is ConfigException or DataFileException)
        {
            // The model's own input (a file that is not a GGUF model, a template value the host refuses) stops this model,
            // not the watch: the others still run, and this one is tried again next time.
            return Unfinished(source, model.ModelId, target, e.Message);
        }
    }

    private static WatchedModelResult Unfinished(ReleaseSourceConfig source, string modelId, TargetConfig target, string reason) =>
        new(source.Name, modelId, target.Name, null, ExitCodes.RunError, false, null, [], [reason]);

    private async Task<WatchedModelResult> EstimateAsync(WatchConfig watch, ReleaseSourceConfig source, string modelId, CancellationToken cancellationToken)
    {
        var target = source.TargetFor(modelId);
        var evaluation = new Evaluation(WithModel(watch, target, out _), store, targets, runObserver);
        var estimates = new[]
        {
            await evaluation.EstimateAsync(watch.Production, watch.Suites, watch.Limit, cancellationToken),
            await evaluation.EstimateAsync(target.Name, watch.Suites, watch.Limit, cancellationToken),
        };
        return new WatchedModelResult(source.Name, modelId, target.Name, null, ExitCodes.Pass, false, null, [], [], estimates);
    }

    /// <summary>The configuration with the watched model as one more target and its comparison against production.</summary>
    private EvalConfig WithModel(WatchConfig watch, TargetConfig target, out string comparisonName)
    {
        comparisonName = $"watch-{target.Name}";
        var comparison = new ComparisonConfig(comparisonName, watch.Production, target.Name, watch.Suites, watch.Gates, watch.Location);
        return config with
        {
            Targets = new Dictionary<string, TargetConfig>(config.Targets, StringComparer.Ordinal) { [target.Name] = target },
            Comparisons = new Dictionary<string, ComparisonConfig>(StringComparer.Ordinal) { [comparisonName] = comparison },
        };
    }
}
