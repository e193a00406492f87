namespace BasedEval.Core.SweBench;

public enum TestStatus
{
    Passed,
    Failed,
    Error,
    Skipped,
    XFail,
}

/// <summary>
/// Per-test outcomes from the short summary that <c>pytest -rA</c> prints, read as the SWE-bench harness reads it: a line that
/// starts with PASSED, FAILED, ERROR, SKIPPED or XFAIL names the test in its second whitespace-separated token (a FAILED
/// line's <c> - message</c> is dropped first). A later line for the same test wins.
/// </summary>
public static class PytestLog
{
    private static readonly (string Word, TestStatus Status)[] Words =
    [
        ("PASSED", TestStatus.Passed), ("FAILED", TestStatus.Failed), ("ERROR", TestStatus.Error),
        ("SKIPPED", TestStatus.Skipped), ("XFAIL", TestStatus.XFail),
    ];

    public static IReadOnlyDictionary<string, TestStatus> Parse(string log)
    {
        var outcomes = new Dictionary<string, TestStatus>(StringComparer.Ordinal);
        foreach (var (test, status, _) in Lines(log))
        {
            outcomes[test] = status;
        }

        return outcomes;
    }

    /// <summary>The <c> - message</c> that FAILED and ERROR lines carry after the test id, by test; the last line wins.</summary>
    public static IReadOnlyDictionary<string, string> Messages(string log)
    {
        var messages = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (test, _, message) in Lines(log))
        {
            if (message.Length > 0)
            {
                messages[test] = message;
            }
        }

        return messages;
    }

    private static IEnumerable<(string Test, TestStatus Status, string Message)> Lines(string log)
    {
        ArgumentNullException.ThrowIfNull(log);
        foreach (var raw in log.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            foreach (var (word, status) in Words)
            {
                if (!line.StartsWith(word, StringComparison.Ordinal))
                {
                    continue;
                }

                var dash = line.IndexOf(" - ", StringComparison.Ordinal);
                var message = status is TestStatus.Failed or TestStatus.Error && dash >= 0 ? line[(dash + 3)..] : string.Empty;
                if (status == TestStatus.Failed)
                {
                    line = line.Replace(" - ", " ", StringComparison.Ordinal);
                }

                var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (tokens.Length > 1)
                {
                    yield return (tokens[1], status, message);
                }

                break;
            }
        }
    }

    /// <summary>Passed, or failed as expected; anything else, a missing test included, is not.</summary>
    public static bool Passes(IReadOnlyDictionary<string, TestStatus> outcomes, string test)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        return outcomes.TryGetValue(test, out var status) && status is TestStatus.Passed or TestStatus.XFail;
    }
}
