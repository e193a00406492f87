using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using BasedEval.Core.Storage;
using BasedEval.TestServer;

namespace BasedEval.Tests.EndToEnd;

/// <summary>
/// Splits each sample's TTFT error (measured − scripted) at the server's two stamps, client and server sharing one
/// clock: inbound (request start → the server's arrival stamp), the server's own lateness (arrival → first content
/// chunk written, minus the scripted TTFT) and outbound (→ the client's first-chunk stamp), so a figure
/// says whether the error was the server waking late or the client reading late.
/// </summary>
internal static partial class TtftErrorBreakdown
{
    public static string Describe(IReadOnlyList<Sample> samples, IReadOnlyList<RecordedRequest> requests, string model, double scriptedMs)
    {
        // A sample's timings are its last attempt's, which reached the server after any earlier one.
        var byKey = requests.Where(r => r.Model == model && r.FirstContentTimestamp != 0)
            .GroupBy(r => r.Key!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.MaxBy(r => r.ArrivalTimestamp)!, StringComparer.Ordinal);
        var first = samples.Min(s => s.Timings!.RequestStartUtc);
        List<(double Since, double Error, double Inbound, double Server, double Outbound)> rows = [];
        foreach (var sample in samples)
        {
            var timings = sample.Timings!;
            var server = byKey[KeyPattern().Match(sample.RequestJson).Groups[1].Value];
            var arrivalMs = (server.ArrivedAt - timings.RequestStartUtc).TotalMilliseconds;
            var writtenMs = arrivalMs + Stopwatch.GetElapsedTime(server.ArrivalTimestamp, server.FirstContentTimestamp).TotalMilliseconds;
            var ttft = timings.TtftMs!.Value;
            rows.Add(((timings.RequestStartUtc - first).TotalSeconds, ttft - scriptedMs, arrivalMs, writtenMs - arrivalMs - scriptedMs, ttft - writtenMs));
        }

        string Line(string label, List<(double Since, double Error, double Inbound, double Server, double Outbound)> part) => string.Create(CultureInfo.InvariantCulture,
            $"{model} {label} ({part.Count}): error {Figures(part.Select(r => r.Error))}; inbound {Figures(part.Select(r => r.Inbound))}; " +
            $"server late {Figures(part.Select(r => r.Server))}; outbound {Figures(part.Select(r => r.Outbound))}");

        var early = rows.Where(r => r.Since < 1).ToList();
        var later = rows.Where(r => r.Since >= 1).ToList();
        return Line("first second", early) + "\n" + Line("after", later);
    }

    private static string Figures(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0
            ? "none"
            : string.Create(CultureInfo.InvariantCulture, $"p50 {sorted[sorted.Length / 2]:0.00} p99 {sorted[(int)(sorted.Length * 0.99)]:0.00} max {sorted[^1]:0.00} ms");
    }

    /// <summary>The item key the scripted workspace writes into every prompt, as [Q00042].</summary>
    [GeneratedRegex(@"\[Q(\d{5})\]")]
    internal static partial Regex KeyPattern();
}
