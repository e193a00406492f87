namespace BasedEval.Core.SweBench;

/// <summary>
/// Listed tests that cannot pass on this machine whatever the patch, so that their failure is reported as the environment's,
/// not the model's: an id that names a path of the machine the dataset was built on, a test that needed an address outside
/// loopback, which the private network namespace does not reach.
/// </summary>
public static class EnvironmentLimits
{
    /// <summary>Words of the resolver and the socket layer that only an address outside this machine produces here.</summary>
    private static readonly string[] OutsideAddress =
    [
        "Temporary failure in name resolution", "Name or service not known", "No address associated with hostname",
        "Network is unreachable", "No route to host",
    ];

    /// <summary>Why <paramref name="test"/> cannot pass here, or null when nothing says so.</summary>
    /// <param name="test">A FAIL_TO_PASS or PASS_TO_PASS id that did not pass.</param>
    /// <param name="message">
    /// Its FAILED or ERROR message from <see cref="PytestLog.Messages"/> (empty when it has none); null when the log does not
    /// name the test at all.
    /// </param>
    public static string? Why(string test, string? message)
    {
        ArgumentNullException.ThrowIfNull(test);

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
