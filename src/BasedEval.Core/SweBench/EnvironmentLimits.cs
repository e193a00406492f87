namespace BasedEval.Core.SweBench;

/// <summary>
/// Listed tests that cannot pass on this machine whatever the patch, so that their failure is reported as the environment's,
/// not the model's: an id that names a path of the machine the dataset was built on, a test that needed an address outside
/// loopback, which the private network namespace does not reach, and the few known to depend on the exact Python build.
/// </summary>
public static class EnvironmentLimits
{
    /// <summary>Words of the resolver and the socket layer that only an address outside this machine produces here.</summary>
    private static readonly string[] OutsideAddress =
    [
        "Temporary failure in name resolution", "Name or service not known", "No address associated with hostname",
        "Network is unreachable", "No route to host",
    ];

    /// <summary>Tests that were seen to fail here with the gold patch, for a reason outside the repository.</summary>
    private static readonly Dictionary<(string Repo, string Test), string> Known = new()
    {
        [("pytest-dev/pytest", "testing/test_assertion.py::test_raise_assertion_error_raisin_repr")] =
            "it expects the '<unprintable AssertionError object>' of the dataset's Python; Python 3.9.18 prints '<exception str() failed>'",
    };

    /// <summary>Why <paramref name="test"/> of <paramref name="repo"/> cannot pass here, or null when nothing says so.</summary>
    /// <param name="repo">The instance's repository, <c>owner/name</c>.</param>
    /// <param name="test">A FAIL_TO_PASS or PASS_TO_PASS id that did not pass.</param>
    /// <param name="message">
    /// Its FAILED or ERROR message from <see cref="PytestLog.Messages"/> (empty when it has none); null when the log does not
    /// name the test at all.
    /// </param>
    public static string? Why(string repo, string test, string? message)
    {
        ArgumentNullException.ThrowIfNull(test);
        if (Known.TryGetValue((repo, test), out var known))
        {
            return known;
        }

        // Only a test the run never named: a parameter that merely starts with a slash (a URL path) is an ordinary test.
        if (message is null && (test.StartsWith('/') || test.Contains("[/", StringComparison.Ordinal)))
        {
            return "its id names an absolute path of the machine the dataset was built on, and no test here has that id";
        }

        return message is not null && OutsideAddress.FirstOrDefault(w => message.Contains(w, StringComparison.Ordinal)) is { } words
            ? $"it needs an address outside loopback ({words})"
            : null;
    }
}
