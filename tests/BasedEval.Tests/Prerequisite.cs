using System.Collections.Concurrent;

[assembly: AssemblyFixture(typeof(BasedEval.Tests.SkipSummary))]

namespace BasedEval.Tests;

/// <summary>
/// The one way a test skips for something absent from the machine (a program, a server, a data file, a kernel feature),
/// so that every skip carries its reason, CI cannot pass by skipping what it was meant to install, and the run ends with
/// a count of what was skipped and why.
/// </summary>
public static class Prerequisite
{
    private static readonly ConcurrentDictionary<string, int> Skipped = new(StringComparer.Ordinal);

    /// <summary>True where the CI variable is set: there a prerequisite that .ci/run installs must be present.</summary>
    public static bool InCi => Environment.GetEnvironmentVariable("CI") is { Length: > 0 } ci && ci != "0" && !ci.Equals("false", StringComparison.OrdinalIgnoreCase);

    internal static IReadOnlyDictionary<string, int> SkipCounts => Skipped;

    /// <summary>Skips the calling test with <paramref name="reason"/> unless <paramref name="present"/>.</summary>
    public static void Require(bool present, string reason)
    {
        if (!present)
        {
            Skip(reason);
        }
    }

    /// <summary>
    /// As <see cref="Require(bool, string)"/>, for what .ci/run installs: under CI its absence fails the test, since a
    /// green run there must mean the test ran.
    /// </summary>
    public static void RequireInstalledByCi(bool present, string reason)
    {
        if (!present)
        {
            Assert.False(InCi, $"CI must run this test, and .ci/run is meant to install what it needs: {reason}");
            Skip(reason);
        }
    }

    /// <summary>Skips the calling test now, counted under <paramref name="reason"/>.</summary>
    public static void Skip(string reason)
    {
        Skipped.AddOrUpdate(reason, 1, (_, count) => count + 1);
        Assert.Skip(reason);
    }
}

/// <summary>Reports, once every test has run, how many tests were skipped for each reason: "passed" on a bare machine stays honest.</summary>
public sealed class SkipSummary : IDisposable
{
    public void Dispose()
    {
        var counts = Prerequisite.SkipCounts;
        var line = counts.Count == 0
            ? "skipped: none"
            : $"skipped {counts.Values.Sum()}: " + string.Join("; ", counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Value} × {c.Key}"));
        TestContext.Current.SendDiagnosticMessage(line);
    }
}
