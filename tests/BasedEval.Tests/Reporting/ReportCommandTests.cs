using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using BasedEval.Core.Reporting;
using BasedEval.TestServer;
using BasedEval.Tests.EndToEnd;

namespace BasedEval.Tests.Reporting;

/// <summary>`basedeval compare` writes the default reports; `basedeval report` and `history` read only the store.</summary>
public class ReportCommandTests
{
    [Fact]
    public async Task Compare_writes_html_md_json_and_junit_and_report_rewrites_them_from_the_store_alone()
    {
        using var ws = await ComparedWorkspaceAsync();
        var folder = Directory.GetDirectories(ws.ReportsPath).Single();
        var id = Path.GetFileName(folder);
        Assert.Equal(
            ["chart-e2e.png", "chart-quality-cost.png", "chart-slices.png", "chart-suites.png", "chart-tpot.png", "chart-ttft.png", "comparison.json", "junit.xml", "report.html", "summary.md"],
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // Without the YAML's suites folder, the report can only come from the stored document.
        Directory.Delete(Path.Combine(ws.Root, "mmlu"), recursive: true);
        var again = Path.Combine(ws.Root, "again");
        var result = await CliRunner.RunAsync(ws.Root, "report", id, "--config", ws.ConfigPath, "--format", "json,junit,csv,html", "--out", again);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Equal(File.ReadAllText(Path.Combine(folder, "comparison.json")), File.ReadAllText(Path.Combine(again, "comparison.json")));
        Assert.Equal(File.ReadAllText(Path.Combine(folder, "junit.xml")), File.ReadAllText(Path.Combine(again, "junit.xml")));
        Assert.Equal(File.ReadAllText(Path.Combine(folder, "report.html")), File.ReadAllText(Path.Combine(again, "report.html")));
        var samples = File.ReadAllLines(Path.Combine(again, "samples.csv"));
        Assert.Equal((2 * ws.Items) + 1, samples.Length);
        Assert.Equal(ws.Items, samples.Count(l => l.StartsWith("baseline,", StringComparison.Ordinal)));
        Assert.True(File.Exists(Path.Combine(again, "metrics.csv")));
        Assert.Contains("wrote ", result.Output, StringComparison.Ordinal);
        XDocument.Load(Path.Combine(again, "junit.xml"));
    }

    [Fact]
    public async Task Summary_links_each_chart_as_a_png_beside_it()
    {
        using var ws = await ComparedWorkspaceAsync();
        var folder = Directory.GetDirectories(ws.ReportsPath).Single();

        var summary = File.ReadAllText(Path.Combine(folder, "summary.md"));
        var links = Regex.Matches(summary, @"!\[([^\]]+)\]\(([^)]+)\)").Select(m => (Alt: m.Groups[1].Value, Path: m.Groups[2].Value)).ToList();

        Assert.Equal(["chart-quality-cost.png", "chart-suites.png", "chart-slices.png", "chart-ttft.png", "chart-tpot.png", "chart-e2e.png"], links.Select(l => l.Path));
        Assert.All(links, link =>
        {
            Assert.False(Path.IsPathRooted(link.Path), link.Path);
            Assert.False(string.IsNullOrWhiteSpace(link.Alt));
            var png = File.ReadAllBytes(Path.Combine(folder, link.Path));
            var (width, height) = ChartTests.PngSize(png);
            Assert.InRange(width, 800, 2000);
            Assert.InRange(height, 200, 4000);
            using var bitmap = SkiaSharp.SKBitmap.Decode(png);
            Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
            File.Copy(Path.Combine(folder, link.Path), Path.Combine(ChartTests.Artifacts(), "summary-" + link.Path), overwrite: true);
        });
    }

    [Fact]
    public async Task A_ratio_over_a_zero_baseline_reads_the_same_in_the_first_report_and_from_the_store()
    {
        // The baseline sends every chunk at once: its inter-token latency is 0, and the candidate's ratio to it has no
        // finite value, which JSON cannot hold.
        using var ws = await ComparedWorkspaceAsync(items: 40, baselineInterChunkMs: 0);
        var folder = Directory.GetDirectories(ws.ReportsPath).Single();
        var again = Path.Combine(ws.Root, "again");

        var result = await CliRunner.RunAsync(ws.Root, "report", Path.GetFileName(folder), "--config", ws.ConfigPath, "--format", "html", "--out", again);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var first = File.ReadAllText(Path.Combine(folder, "report.html"));
        Assert.Contains("n/a", first, StringComparison.Ordinal);
        Assert.Equal(first, File.ReadAllText(Path.Combine(again, "report.html")));
    }

    [Fact]
    public async Task Pdf_is_printed_by_chromium_or_skipped_with_the_reason()
    {
        using var ws = await ComparedWorkspaceAsync();
        var id = Path.GetFileName(Directory.GetDirectories(ws.ReportsPath).Single());
        var result = await CliRunner.RunAsync(ws.Root, "report", id, "--config", ws.ConfigPath, "--format", "pdf");

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var pdf = Path.Combine(ws.ReportsPath, id, "report.pdf");
        if (Chromium.Find() is null)
        {
            Assert.Contains("chromium is not installed", result.Error, StringComparison.Ordinal);
            Assert.False(File.Exists(pdf));
        }
        else
        {
            var bytes = File.ReadAllBytes(pdf);
            Assert.True(bytes.Length > 10_000, $"{bytes.Length} bytes");
            Assert.Equal("%PDF-"u8.ToArray(), bytes[..5]);
            // The six charts go in as PNG images; Chromium writes each as an image XObject at least as wide as its CSS box.
            var images = Regex.Matches(Encoding.Latin1.GetString(bytes), "/Subtype\\s*/Image\\b[^>]*?/Width\\s+(\\d+)|/Width\\s+(\\d+)[^>]*?/Subtype\\s*/Image\\b")
                .Select(m => int.Parse(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, CultureInfo.InvariantCulture)).ToList();
            Assert.True(images.Count(w => w >= 400) >= 6, $"image widths in the PDF: {string.Join(", ", images)}");
        }
    }

    [Fact]
    public async Task Unknown_ids_and_formats_exit_2_with_a_way_forward()
    {
        using var ws = await ComparedWorkspaceAsync();
        var id = Path.GetFileName(Directory.GetDirectories(ws.ReportsPath).Single());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(ws.ReportsPath, id, "comparison.json")));
        var runId = json.RootElement.GetProperty("baseline").GetProperty("run_id").GetString()!;

        var missing = await CliRunner.RunAsync(ws.Root, "report", "cmp-nope", "--config", ws.ConfigPath);
        var run = await CliRunner.RunAsync(ws.Root, "report", runId, "--config", ws.ConfigPath);
        var format = await CliRunner.RunAsync(ws.Root, "report", id, "--config", ws.ConfigPath, "--format", "html,docx");

        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no comparison `cmp-nope`", missing.Error, StringComparison.Ordinal);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is a run, not a comparison", run.Error, StringComparison.Ordinal);
        Assert.Equal(2, format.ExitCode);
        Assert.Contains("unknown report format `docx`", format.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_shows_accuracy_across_stored_runs_in_the_terminal_and_as_a_chart()
    {
        var (ws, server) = await ServedWorkspaceAsync(120);
        using var disposeWorkspace = ws;
        await using (server)
        {
            await CompareAsync(ws);
            var second = await CliRunner.RunAsync(ws.Root, "run", "--config", ws.ConfigPath, "--target", "gpt-a", "--limit", "40");
            Assert.True(second.ExitCode == 0, second.Output + second.Error);
        }

        var result = await CliRunner.RunAsync(ws.Root, "history", "--config", ws.ConfigPath, "--target", "gpt-a", "--suite", "mmlu");

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("accuracy of gpt-a on mmlu: 2 runs", result.Output, StringComparison.Ordinal);
        var accuracy = ws.BaselineRight.Count(r => r) * 100.0 / ws.Items;
        Assert.Contains(ReportFormat.Percent(accuracy / 100), result.Output, StringComparison.Ordinal);
        var page = Path.Combine(ws.ReportsPath, "history", "history-gpt-a-mmlu.html");
        var html = File.ReadAllText(page);
        Assert.Contains("id=\"chart-history\"", html, StringComparison.Ordinal);
        XDocument.Parse(html[html.IndexOf("<svg", StringComparison.Ordinal)..(html.IndexOf("</svg>", StringComparison.Ordinal) + 6)]);

        var unknown = await CliRunner.RunAsync(ws.Root, "history", "--config", ws.ConfigPath, "--target", "gpt-z", "--suite", "mmlu");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("targets with stored runs: gpt-a, open-b", unknown.Error, StringComparison.Ordinal);
    }

    /// <summary>A finished comparison of 120 items on the loopback server; some responses carry markup that must stay text.</summary>
    internal static async Task<ScriptedWorkspace> ComparedWorkspaceAsync(int items = 120, double baselineInterChunkMs = 2)
    {
        var (ws, server) = await ServedWorkspaceAsync(items, baselineInterChunkMs);
        await using (server)
        {
            await CompareAsync(ws);
        }

        return ws;
    }

    private static async Task CompareAsync(ScriptedWorkspace ws)
    {
        var result = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath);
        Assert.True(result.ExitCode is 0 or 1 or 3, result.Output + result.Error);
    }

    private static async Task<(ScriptedWorkspace, TestLlmServer)> ServedWorkspaceAsync(int items, double baselineInterChunkMs = 2)
    {
        var ws = new ScriptedWorkspace(items, i => i % 5 != 0, i => i % 5 != 0 ? i % 9 != 1 : i % 3 == 0, subjects: 6);
        var baseline = ws.Model(ws.BaselineRight, ttftMs: 30, interChunkMs: baselineInterChunkMs);
        var candidate = ws.Model(ws.CandidateRight, ttftMs: 20, interChunkMs: 1);
        foreach (var key in candidate.Replies.Keys.Where(k => int.Parse(k, System.Globalization.CultureInfo.InvariantCulture) % 9 == 1).ToList())
        {
            candidate.Replies[key] = $"The text said {SyntheticComparison.ScriptPayload} and {SyntheticComparison.ImagePayload}.\n" + candidate.Replies[key];
        }

        var script = new ServerScript { Models = { ["gpt-a"] = baseline, ["open-b"] = candidate } };
        var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 5 }\n      latency:\n        - { metric: ttft, percentile: 95, max_ratio: 1.5 }\n      cost: { max_ratio: 1.0 }");
        return (ws, server);
    }
}
