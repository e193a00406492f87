using System.Globalization;
using System.Text;
using System.Xml;
using BasedEval.Core.Gating;

namespace BasedEval.Core.Reporting;

/// <summary>One junit.xml test suite: the gates that decided, and the samples that could not be answered.</summary>
/// <param name="Name">The suite's name, also the prefix of each test case's class name.</param>
/// <param name="FailedSamples">Samples that failed after all retries; any makes the extra test case an error.</param>
public sealed record JUnitSuite(
    string Name,
    DateTimeOffset Timestamp,
    IReadOnlyList<(string Name, string Value)> Properties,
    IReadOnlyList<GateResult> Gates,
    int FailedSamples,
    IReadOnlyDictionary<string, int> ErrorsByKind);

/// <summary>
/// junit.xml: one test case per gate, so a CI test dashboard shows which gate stopped the swap. A failed gate is a
/// failure, an undecided one is skipped (it neither passes nor proves a regression); each carries its statistics.
/// Samples that failed after all retries appear as one more test case, in error.
/// </summary>
public sealed class JUnitReportWriter : IReportWriter
{
    public string Format => "junit";

    public string FileName => "junit.xml";

    public Task WriteAsync(ReportInput input, Stream output, CancellationToken cancellationToken)
    {
        var c = input.Comparison;
        return WriteSuiteAsync(
            new JUnitSuite(
                $"basedeval.{c.ComparisonName}",
                c.CreatedUtc,
                [
                    ("comparison_id", c.Id), ("verdict", ReportFormat.Decision(c.Verdict)), ("exit_code", Int(c.ExitCode)),
                    ("baseline", $"{c.Baseline.Target} ({c.Baseline.Model})"), ("candidate", $"{c.Candidate.Target} ({c.Candidate.Model})"),
                    ("paired_items", Int(c.Paired.Items)), ("config_hash", c.ConfigHash), ("tool_version", c.ToolVersion),
                ],
                c.Gates,
                c.Errors.BaselineFailed + c.Errors.CandidateFailed,
                c.Errors.ByKind),
            output);
    }

    /// <summary>Writes one suite of gates; a single run's absolute gate (`run --min-accuracy`) goes through here as a comparison's gates do.</summary>
    public static async Task WriteSuiteAsync(JUnitSuite suite, Stream output)
    {
        var failures = suite.Gates.Count(g => g.Decision == Decision.Fail);
        var skipped = suite.Gates.Count(g => g.Decision == Decision.Inconclusive);
        var errors = suite.FailedSamples > 0 ? 1 : 0;
        var tests = (suite.Gates.Count + 1).ToString(CultureInfo.InvariantCulture);
        var settings = new XmlWriterSettings { Async = true, Indent = true, Encoding = new UTF8Encoding(false), CloseOutput = false };
        await using var xml = XmlWriter.Create(output, settings);
        await xml.WriteStartDocumentAsync();
        await xml.WriteStartElementAsync(null, "testsuites", null);
        await Attributes(xml, ("name", "basedeval"), ("tests", tests), ("failures", Int(failures)), ("errors", Int(errors)), ("skipped", Int(skipped)), ("time", "0"));
        await xml.WriteStartElementAsync(null, "testsuite", null);
        await Attributes(xml, ("name", suite.Name), ("tests", tests), ("failures", Int(failures)), ("errors", Int(errors)), ("skipped", Int(skipped)), ("time", "0"),
            ("timestamp", suite.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)));
        await xml.WriteStartElementAsync(null, "properties", null);
        foreach (var (name, value) in suite.Properties)
        {
            await xml.WriteStartElementAsync(null, "property", null);
            await Attributes(xml, ("name", name), ("value", value));
            await xml.WriteEndElementAsync();
        }

        await xml.WriteEndElementAsync();
        foreach (var gate in suite.Gates)
        {
            await xml.WriteStartElementAsync(null, "testcase", null);
            await Attributes(xml, ("name", gate.Name), ("classname", $"{suite.Name}.{gate.Kind}"), ("time", "0"));
            var statistics = Statistics(gate);
            switch (gate.Decision)
            {
                case Decision.Fail:
                    await xml.WriteStartElementAsync(null, "failure", null);
                    await Attributes(xml, ("message", gate.Reason), ("type", "FAIL"));
                    await xml.WriteStringAsync(Clean(statistics));
                    await xml.WriteEndElementAsync();
                    break;
                case Decision.Inconclusive:
                    await xml.WriteStartElementAsync(null, "skipped", null);
                    await Attributes(xml, ("message", "INCONCLUSIVE: " + gate.Reason));
                    await xml.WriteEndElementAsync();
                    break;
            }

            await xml.WriteElementStringAsync(null, "system-out", null, Clean(statistics));
            await xml.WriteEndElementAsync();
        }

        await xml.WriteStartElementAsync(null, "testcase", null);
        await Attributes(xml, ("name", "samples_answered"), ("classname", $"{suite.Name}.run"), ("time", "0"));
        if (suite.FailedSamples > 0)
        {
            await xml.WriteStartElementAsync(null, "error", null);
            await Attributes(xml, ("message", $"{suite.FailedSamples} samples failed after all retries and were left out of the statistics"), ("type", "RUN_ERROR"));
            await xml.WriteStringAsync(Clean(string.Join("\n", suite.ErrorsByKind.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}: {Int(k.Value)}"))));
            await xml.WriteEndElementAsync();
        }

        await xml.WriteEndElementAsync();
        await xml.WriteEndElementAsync();
        await xml.WriteEndElementAsync();
        await xml.WriteEndDocumentAsync();
        await xml.FlushAsync();
    }

    private static string Statistics(GateResult g)
    {
        var unit = g.Kind switch { "quality" => " points", "accuracy" => "%", _ => "x" };
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"decision: {ReportFormat.Decision(g.Decision)}\n");
        text.Append(CultureInfo.InvariantCulture, $"estimate: {Num(g.Estimate)}{unit}\n");
        text.Append(CultureInfo.InvariantCulture, $"interval: [{Num(g.Lower)}, {Num(g.Upper)}]{unit} at {ReportFormat.Confidence(g.Confidence)} confidence\n");
        var rule = g.Kind switch { "quality" => "lower bound above", "accuracy" => "lower bound at or above", _ => "upper bound at most" };
        text.Append(CultureInfo.InvariantCulture, $"threshold: {rule} {Num(g.Threshold)}{unit}\n");
        if (g.ItemsNeeded is { } n)
        {
            text.Append(CultureInfo.InvariantCulture, $"items needed: {n}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"reason: {g.Reason}\n");
        return text.ToString();
    }

    private static async Task Attributes(XmlWriter xml, params (string Name, string Value)[] attributes)
    {
        foreach (var (name, value) in attributes)
        {
            await xml.WriteAttributeStringAsync(null, name, null, Clean(value));
        }
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Num(double value) => double.IsFinite(value) ? value.ToString("0.####", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>XML 1.0 cannot carry most control characters at all, escaped or not; they become U+FFFD instead of breaking the file.</summary>
    internal static string Clean(string text)
    {
        StringBuilder? cleaned = null;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (XmlConvert.IsXmlChar(ch))
            {
                cleaned?.Append(ch);
            }
            else if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], ch))
            {
                cleaned?.Append(ch).Append(text[i + 1]);
                i++;
            }
            else
            {
                cleaned ??= new StringBuilder(text, 0, i, text.Length);
                cleaned.Append('\uFFFD');
            }
        }

        return cleaned?.ToString() ?? text;
    }
}
