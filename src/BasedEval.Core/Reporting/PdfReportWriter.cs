using System.Diagnostics;
using System.Text;

namespace BasedEval.Core.Reporting;

/// <summary>Finds a headless-capable Chromium: $BASEDEVAL_CHROMIUM first, then the usual names on PATH.</summary>
public static class Chromium
{
    private static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("BASEDEVAL_CHROMIUM") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(dir => Names.Select(name => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// The flags for a quiet, isolated headless browser: no sandbox (CI containers run as root), no GPU, and nothing that
    /// phones home, so printing a report makes no network request of its own.
    /// </summary>
    public static IReadOnlyList<string> HeadlessArguments(string profileDirectory) =>
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage", "--user-data-dir=" + profileDirectory,
    ];
}

/// <summary>
/// report.pdf: the HTML report printed by headless Chromium, so the PDF is what the page prints as; its charts go in as
/// the same PNG images that sit beside summary.md.
/// </summary>
public sealed class PdfReportWriter(string chromium, HtmlReportWriter html) : IReportWriter
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public string Format => "pdf";

    public string FileName => "report.pdf";

    public async Task WriteAsync(ReportInput input, Stream output, CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory("basedeval-pdf-");
        try
        {
            var page = Path.Combine(work.FullName, "report.html");
            var pdf = Path.Combine(work.FullName, "report.pdf");
            await File.WriteAllTextAsync(page, html.Render(input.Comparison, ChartEmbedding.Png), new UTF8Encoding(false), cancellationToken);
            var start = new ProcessStartInfo(chromium) { WorkingDirectory = work.FullName, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in Chromium.HeadlessArguments(Path.Combine(work.FullName, "profile")))
            {
                start.ArgumentList.Add(argument);
            }

            start.ArgumentList.Add("--no-pdf-header-footer");
            start.ArgumentList.Add("--print-to-pdf=" + pdf);
            start.ArgumentList.Add(new Uri(page).AbsoluteUri);
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {chromium}");
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            await Task.WhenAll(stderr, stdout);
            if (process.ExitCode != 0 || !File.Exists(pdf))
            {
                throw new IOException($"{chromium} exited with code {process.ExitCode} without printing the PDF: {(await stderr).Trim()}");
            }

            await using var printed = File.OpenRead(pdf);
            await printed.CopyToAsync(output, cancellationToken);
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Chromium may still hold its profile for a moment; a leftover temporary folder is harmless.
            }
        }
    }
}
