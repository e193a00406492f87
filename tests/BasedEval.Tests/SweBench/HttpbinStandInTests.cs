using BasedEval.Core.SweBench;

namespace BasedEval.Tests.SweBench;

/// <summary>
/// The loopback httpbin behind a repository named psf/requests: <see cref="SyntheticSweBenchRepository"/> under that name,
/// with tests that call httpbin.org, or an outside host, the way old requests tests do.
/// </summary>
public sealed class HttpbinStandInTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "basedeval-httpbin-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Cleanup.DeleteFolder(_root);

    [Fact]
    public async Task Httpbin_org_answers_from_loopback_over_http_and_https_and_an_outside_host_is_an_environment_error()
    {
        var executor = await RunnableAsync();
        var instance = SyntheticSweBenchRepository.Create(Path.Combine(_root, "repos"), installable: true, repo: "psf/requests", version: "2.3");
        string[] httpbin =
        [
            "+    import json, urllib.request",
            "+    for scheme in ('http', 'https'):",
            "+        assert json.load(urllib.request.urlopen(scheme + '://httpbin.org/get?x=1', timeout=10))['args'] == {'x': '1'}",
        ];
        string[] outside = ["+    import urllib.request", "+    urllib.request.urlopen('http://example.com/', timeout=10)"];

        var served = await executor.EvaluateAsync(SyntheticSweBenchRepository.WithTestLines(instance, httpbin), instance.Patch, TestContext.Current.CancellationToken);
        var limited = await executor.EvaluateAsync(SyntheticSweBenchRepository.WithTestLines(instance, outside), instance.Patch, TestContext.Current.CancellationToken);

        Assert.True(served.Outcome == SweBenchOutcome.Resolved, served.Reason + "\n" + served.Log);
        Assert.True(limited.Outcome == SweBenchOutcome.Error, limited.Reason + "\n" + limited.Log);
        Assert.Contains("environment-limited", limited.Reason, StringComparison.Ordinal);
        Assert.Contains("outside loopback", limited.Reason, StringComparison.Ordinal);
    }

    private async Task<LocalSweBenchExecutor> RunnableAsync()
    {
        var options = new LocalSweBenchOptions(Path.Combine(_root, "repos"), LocalSweBenchOptions.DefaultPython, TestTimeout: TimeSpan.FromSeconds(120), Environment: SweBenchEnvironment.Venv, PreCheck: false);
        var executor = new LocalSweBenchExecutor(options);
        await SyntheticSweBenchRepository.SkipUnlessHttpbinRunnableAsync(executor, options.Python);
        return executor;
    }
}
