namespace BasedEval.Core.SweBench;

/// <summary>
/// Listed tests that cannot pass on this machine whatever the patch, so that their failure is reported as the environment's,
/// not the model's: an id that names a path of the machine the dataset was built on, and a test that needed an address
/// outside loopback, which the private network namespace does not reach.
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
    /// <param name="test">A FAIL_TO_PASS or PASS_TO_PASS id.</param>
    /// <param name="messages">The FAILED and ERROR messages of the run, from <see cref="PytestLog.Messages"/>.</param>
    public static string? Why(string test, IReadOnlyDictionary<string, string> messages)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(messages);
        // Either the whole id or a parameter: pytest names a parametrized path as it was on that machine.
        if (test.StartsWith('/') || test.Contains("[/", StringComparison.Ordinal))
        {
            return "its id names an absolute path of the machine the dataset was built on";
        }

        return messages.TryGetValue(test, out var message) && OutsideAddress.FirstOrDefault(w => message.Contains(w, StringComparison.Ordinal)) is { } words
            ? $"it needs an address outside loopback ({words})"
            : null;
    }
}
