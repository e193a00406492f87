using System.Globalization;
using System.Text;
using System.Text.Json;
using BasedEval.Core.Gating;
using BasedEval.Core.Reporting;
using BasedEval.Core.Running;

namespace BasedEval.Core.Watch;

/// <summary>
/// What a watch tells other systems: <c>--notify-json</c> (schema <c>basedeval.watch</c>, version 1) for bots and
/// dashboards, and <c>--summary</c>, Markdown for <c>$GITHUB_STEP_SUMMARY</c> with each new model's own summary.md.
/// </summary>
public static class WatchReports
{
    public const string SchemaName = "basedeval.watch";
    public const int SchemaVersion = 1;

    public sealed record Notification(
        string Schema,
        int SchemaVersion,
        DateTimeOffset StartedUtc,
        bool DryRun,
        int ExitCode,
        IReadOnlyList<SourceListing> Sources,
        IReadOnlyList<WatchedModelResult> Models);

    public static Notification Notify(WatchOutcome outcome) =>
        new(SchemaName, SchemaVersion, outcome.StartedUtc, outcome.DryRun, outcome.ExitCode, outcome.Sources, outcome.Models);

    public static async Task WriteJsonAsync(WatchOutcome outcome, string path, CancellationToken cancellationToken)
    {
        await using var stream = Create(path);
        await JsonSerializer.SerializeAsync(stream, Notify(outcome), ReportJson.Options, cancellationToken);
    }

    public static async Task WriteMarkdownAsync(WatchOutcome outcome, string path, CancellationToken cancellationToken)
    {
        var text = await RenderMarkdownAsync(outcome, cancellationToken);
        await using var stream = Create(path);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
    }

    public static async Task<string> RenderMarkdownAsync(WatchOutcome outcome, CancellationToken cancellationToken)
    {
        var md = new StringBuilder();
        md.AppendLine(Inv($"## BasedEval release watch — {outcome.StartedUtc:yyyy-MM-dd HH:mm} UTC{(outcome.DryRun ? " (dry run)" : string.Empty)}"));
        md.AppendLine();
        md.AppendLine("| Source | Listed | Selected | New | Gone | State |");
        md.AppendLine("|---|---:|---:|---|---|---|");
        foreach (var s in outcome.Sources)
        {
            var state = s.Error is not null ? "could not be listed: " + MarkdownReportWriter.Cell(s.Error)
                : s.FirstListing ? "first listing, recorded" : "listed";
            md.AppendLine(Inv($"| {MarkdownReportWriter.Cell(s.Source)} | {s.Listed} | {s.Selected} | {Ids(s.New)} | {Ids(s.Disappeared)} | {state} |"));
        }

        md.AppendLine();
        if (outcome.Models.Count == 0)
        {
            md.AppendLine("No new model to evaluate.");
            return md.ToString();
        }

        md.AppendLine(outcome.DryRun ? "| Source | Model | Would send | Estimated cost |" : "| Source | Model | Verdict | Exit code | Report |");
        md.AppendLine(outcome.DryRun ? "|---|---|---:|---:|" : "|---|---|---|---:|---|");
        foreach (var m in outcome.Models)
        {
            if (outcome.DryRun)
            {
                var estimates = m.Estimates ?? [];
                md.AppendLine(Inv($"| {MarkdownReportWriter.Cell(m.Source)} | {MarkdownReportWriter.Cell(m.ModelId)} | {estimates.Sum(e => e.ToSend)} | ${estimates.Sum(e => e.EstimatedUsd):0.####} |"));
            }
            else
            {
                var report = m.ReportHtml is { } html ? MarkdownReportWriter.Cell(Path.GetRelativePath(Environment.CurrentDirectory, html)) : MarkdownReportWriter.Cell(string.Join("; ", m.Reasons));
                md.AppendLine(Inv($"| {MarkdownReportWriter.Cell(m.Source)} | {MarkdownReportWriter.Cell(m.ModelId)} | **{Label(m)}** | {m.ExitCode} | {report} |"));
            }
        }

        foreach (var summary in outcome.Models.Select(m => m.SummaryMd).OfType<string>().Where(File.Exists))
        {
            md.AppendLine();
            md.Append(await File.ReadAllTextAsync(summary, cancellationToken));
        }

        return md.ToString();
    }

    /// <summary>The word a person reads for a model's outcome: its verdict, or what kept it from one.</summary>
    public static string Label(WatchedModelResult model) =>
        model.Verdict is { } verdict && model.ExitCode != ExitCodes.RunError ? verdict.ToString().ToUpperInvariant()
        : model.Verdict is not null ? "RUN ERROR"
        : "NOT EVALUATED";

    private static string Ids(IReadOnlyList<string> ids) =>
        ids.Count == 0 ? "—" : string.Join(", ", ids.Select(id => MarkdownReportWriter.Cell(id)));

    private static FileStream Create(string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder)
        {
            Directory.CreateDirectory(folder);
        }

        return File.Create(path);
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
