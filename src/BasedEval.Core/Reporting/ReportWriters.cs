using System.Text.Json;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Storage;

namespace BasedEval.Core.Reporting;

/// <summary>What a report is written from: the stored comparison document and, for per-sample formats, both runs' stored samples.</summary>
public sealed record ReportInput(ComparisonResult Comparison, IReadOnlyList<Sample> Samples)
{
    public static ReportInput WithoutSamples(ComparisonResult comparison) => new(comparison, []);
}

/// <summary>One report file. Writers only read the comparison; they never recompute a number.</summary>
public interface IReportWriter
{
    /// <summary>The name used with --format; several writers may share one (csv writes samples and metrics).</summary>
    string Format { get; }

    string FileName { get; }

    /// <summary>True when the writer needs the stored samples, which are otherwise not loaded.</summary>
    bool ReadsSamples => false;

    Task WriteAsync(ReportInput input, Stream output, CancellationToken cancellationToken);

    /// <summary>Files the report links to by a path relative to itself, such as chart images; none unless it links any.</summary>
    IReadOnlyList<CompanionFile> Companions(ReportInput input) => [];
}

/// <summary>A file written beside a report, in the same folder.</summary>
public sealed record CompanionFile(string FileName, Func<Stream, CancellationToken, Task> WriteAsync);

public sealed class JsonReportWriter : IReportWriter
{
    public string Format => "json";

    public string FileName => "comparison.json";

    public Task WriteAsync(ReportInput input, Stream output, CancellationToken cancellationToken) =>
        JsonSerializer.SerializeAsync(output, input.Comparison, ReportJson.Options, cancellationToken);
}

/// <summary>The writers chosen for a command, and the formats that could not be written here with the reason.</summary>
public sealed record ReportSelection(IReadOnlyList<IReportWriter> Writers, IReadOnlyList<string> Skipped);

public static class ReportSet
{
    public static IReadOnlyList<string> Formats { get; } = ["html", "md", "json", "junit", "csv", "pdf"];

    /// <summary>What compare writes without being asked: the page for people, the summary for CI, the document, the gates for test dashboards.</summary>
    public static IReadOnlyList<IReportWriter> Default { get; } = [new HtmlReportWriter(), new MarkdownReportWriter(), new JsonReportWriter(), new JUnitReportWriter()];

    /// <summary>Parses a --format list such as "html,md,csv"; an unknown name is a configuration error, a PDF without chromium a skip.</summary>
    public static ReportSelection Select(IEnumerable<string> formats, HtmlReportWriter? html = null)
    {
        html ??= new HtmlReportWriter();
        var writers = new List<IReportWriter>();
        var skipped = new List<string>();
        foreach (var format in formats.SelectMany(f => f.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(f => f.ToLowerInvariant()).Distinct())
        {
            switch (format)
            {
                case "html": writers.Add(html); break;
                case "md" or "markdown": writers.Add(new MarkdownReportWriter()); break;
                case "json": writers.Add(new JsonReportWriter()); break;
                case "junit" or "xml": writers.Add(new JUnitReportWriter()); break;
                case "csv": writers.Add(new SamplesCsvWriter()); writers.Add(new MetricsCsvWriter()); break;
                case "pdf":
                    if (Chromium.Find() is { } chromium)
                    {
                        writers.Add(new PdfReportWriter(chromium, html));
                    }
                    else
                    {
                        skipped.Add("pdf: skipped because chromium is not installed (install it with `apt-get install chromium`, or put chromium on PATH or in BASEDEVAL_CHROMIUM)");
                    }

                    break;
                default:
                    throw new ConfigException($"unknown report format `{format}`", $"use any of: {string.Join(", ", Formats)}");
            }
        }

        return new ReportSelection(writers, skipped);
    }

    /// <summary>Writes every report into reports/&lt;comparison-id&gt;/ and returns the files written.</summary>
    public static Task<IReadOnlyList<string>> WriteAllAsync(ReportInput input, string reportsDirectory, IEnumerable<IReportWriter> writers, CancellationToken cancellationToken) =>
        WriteToAsync(input, Path.Combine(reportsDirectory, input.Comparison.Id), writers, cancellationToken);

    /// <summary>Writes every report into <paramref name="folder"/> and returns the files written.</summary>
    public static async Task<IReadOnlyList<string>> WriteToAsync(ReportInput input, string folder, IEnumerable<IReportWriter> writers, CancellationToken cancellationToken)
    {
        var written = new List<string>();
        foreach (var writer in writers)
        {
            // Companions first, so a reader of the folder never follows a link from the report to a file not yet there.
            foreach (var companion in writer.Companions(input))
            {
                var companionPath = Path.Combine(folder, companion.FileName);
                await WriteFileAsync(companionPath, stream => companion.WriteAsync(stream, cancellationToken));
                written.Add(companionPath);
            }

            var path = Path.Combine(folder, writer.FileName);
            await WriteFileAsync(path, stream => writer.WriteAsync(input, stream, cancellationToken));
            written.Add(path);
        }

        return written;
    }

    /// <summary>Writes one report file whole: a reader of the reports folder never sees a half-written file.</summary>
    public static async Task WriteFileAsync(string path, Func<Stream, Task> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        await using (var stream = File.Create(temporary))
        {
            await write(stream);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
