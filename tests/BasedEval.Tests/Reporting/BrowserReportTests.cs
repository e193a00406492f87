using System.Drawing;
using System.Globalization;
using System.Text.Json;
using BasedEval.Core.Reporting;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace BasedEval.Tests.Reporting;

/// <summary>
/// Debian's chromium opens report.html from disk, headless, through chromedriver: nothing is fetched, nothing logs an
/// error, every chart has a size, and model text carrying script and onerror payloads is shown and never run.
/// CI (.ci/run) installs chromium and chromium-driver, and there the test refuses to skip.
/// </summary>
public class BrowserReportTests
{
    [Fact]
    public async Task Chromium_shows_the_report_offline_with_every_chart_and_runs_no_model_text()
    {
        var chromium = Chromium.Find();
        var chromedriver = FindDriver();
        var missing = chromium is null || chromedriver is null;
        Prerequisite.RequireInstalledByCi(!missing, "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");

        using var ws = await ReportCommandTests.ComparedWorkspaceAsync();
        var report = Path.Combine(Directory.GetDirectories(ws.ReportsPath).Single(), "report.html");
        var url = new Uri(report).AbsoluteUri;
        var profile = Directory.CreateTempSubdirectory("basedeval-chromium-");
        try
        {
            var options = new ChromeOptions { BinaryLocation = chromium! };
            options.AddArguments(Chromium.HeadlessArguments(profile.FullName));
            options.AddArguments("--window-size=1280,900", "--hide-scrollbars");
            options.SetLoggingPreference(LogType.Browser, LogLevel.All);
            options.SetLoggingPreference("performance", LogLevel.All);
            using var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(chromedriver)!, Path.GetFileName(chromedriver)!);
            service.SuppressInitialDiagnosticInformation = true;
            using var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(90));
            // Installed before any of the page's own code could run, so an error or a blocked request anywhere is seen.
            driver.ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?>
            {
                ["source"] = "window.__errors = []; addEventListener('error', e => window.__errors.push('error: ' + e.message)); "
                    + "document.addEventListener('securitypolicyviolation', e => window.__errors.push('csp: ' + e.violatedDirective + ' ' + e.blockedURI));",
            });

            driver.Navigate().GoToUrl(url);
            Assert.Equal("complete", driver.ExecuteScript("return document.readyState"));

            var consoleErrors = driver.Manage().Logs.GetLog(LogType.Browser).Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message).ToList();
            Assert.True(consoleErrors.Count == 0, "console: " + string.Join("\n", consoleErrors));
            var pageErrors = (IReadOnlyCollection<object>)driver.ExecuteScript("return window.__errors")!;
            Assert.True(pageErrors.Count == 0, "page: " + string.Join("\n", pageErrors));

            Assert.Equal(0L, driver.ExecuteScript("return performance.getEntriesByType('resource').length"));
            var requests = NetworkRequests(driver).Where(r => r.Url != url && (r.Document == url || Uri.TryCreate(r.Url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" or "ws" or "wss" or "ftp")).Select(r => r.Url).ToList();
            Assert.True(requests.Count == 0, "requests: " + string.Join(" ", requests));

            // Each chart is drawn with a size, and its text is laid out in a font the browser has: a missing font or a
            // broken reference would leave text boxes with no width.
            var charts = ((IReadOnlyCollection<object>)driver.ExecuteScript(
                "return Array.from(document.querySelectorAll('svg.chart')).map(s => { const r = s.getBoundingClientRect(); const t = Array.from(s.querySelectorAll('text')); "
                + "return [s.id, r.width, r.height, getComputedStyle(s).visibility, t.length, t.filter(e => e.getBBox().width > 0).length].join(' '); })")!).Cast<string>().Select(c => c.Split(' ')).ToList();
            Assert.Equal(["chart-quality-cost", "chart-suites", "chart-slices", "chart-ttft", "chart-tpot", "chart-e2e"], charts.Select(c => c[0]));
            Assert.All(charts, c =>
            {
                Assert.True(double.Parse(c[1], CultureInfo.InvariantCulture) > 50 && double.Parse(c[2], CultureInfo.InvariantCulture) > 50, string.Join(' ', c));
                Assert.Equal("visible", c[3]);
                Assert.True(int.Parse(c[4], CultureInfo.InvariantCulture) >= 5 && c[4] == c[5], string.Join(' ', c));
            });

            Assert.Equal("undefined", driver.ExecuteScript("return typeof window.__pwned"));
            Assert.Equal(0L, driver.ExecuteScript("return document.querySelectorAll('script, img, iframe, object, embed').length"));
            var text = driver.FindElement(By.TagName("body")).Text;
            Assert.Contains(SyntheticComparison.ScriptPayload, text, StringComparison.Ordinal);
            Assert.Contains(SyntheticComparison.ImagePayload, text, StringComparison.Ordinal);

            var height = Convert.ToInt32(driver.ExecuteScript("return Math.ceil(document.documentElement.scrollHeight)"), System.Globalization.CultureInfo.InvariantCulture);
            driver.Manage().Window.Size = new Size(1280, Math.Min(height + 40, 16000));
            var artifacts = Directory.CreateDirectory(Path.Combine(RepositoryRoot(), "TestResults", "browser"));
            var screenshot = Path.Combine(artifacts.FullName, "report.png");
            driver.GetScreenshot().SaveAsFile(screenshot);
            File.Copy(report, Path.Combine(artifacts.FullName, "report.html"), overwrite: true);
            TestContext.Current.TestOutputHelper?.WriteLine($"screenshot: {screenshot}");
            Assert.True(new FileInfo(screenshot).Length > 50_000);
        }
        finally
        {
            try
            {
                profile.Delete(recursive: true);
            }
            catch (IOException)
            {
                // chromium may still be releasing its profile; the temporary folder is harmless.
            }
        }
    }

    /// <summary>
    /// Every request the browser made, with the document that made it, from chromedriver's performance log of DevTools
    /// events. The browser's own start page loads chrome: and data: URLs of its own; those are not the report's doing, but
    /// any request to the network is counted, whoever made it.
    /// </summary>
    private static IEnumerable<(string Url, string? Document)> NetworkRequests(ChromeDriver driver)
    {
        foreach (var entry in driver.Manage().Logs.GetLog("performance"))
        {
            using var json = JsonDocument.Parse(entry.Message);
            var message = json.RootElement.GetProperty("message");
            if (message.GetProperty("method").GetString() == "Network.requestWillBeSent")
            {
                var parameters = message.GetProperty("params");
                yield return (parameters.GetProperty("request").GetProperty("url").GetString()!, parameters.TryGetProperty("documentURL", out var document) ? document.GetString() : null);
            }
        }
    }

    private static string? FindDriver()
    {
        if (Environment.GetEnvironmentVariable("BASEDEVAL_CHROMEDRIVER") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "chromedriver")).FirstOrDefault(File.Exists);
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BasedEval.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? AppContext.BaseDirectory;
    }
}
