using BasedEval.Core.SweBench;

namespace BasedEval.Tests.SweBench;

/// <summary>The runner against <see cref="SyntheticSweBenchRepository"/>, with a gold, a wrong and a non-applying patch.</summary>
public sealed class LocalSweBenchExecutorTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "basedeval-swebench-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Cleanup.DeleteFolder(_root);

    [Fact]
    public async Task Gold_patch_resolves_wrong_patch_does_not_and_broken_patch_fails_to_apply()
    {
        var (executor, instance) = await ValidationRepositoryAsync();
        var wrong = SyntheticSweBenchRepository.WrongPatch(instance);
        var broken = SyntheticSweBenchRepository.BrokenPatch(instance);

        var gold = await executor.EvaluateAsync(instance, instance.Patch, TestContext.Current.CancellationToken);
        var unresolved = await executor.EvaluateAsync(instance, wrong, TestContext.Current.CancellationToken);
        var failed = await executor.EvaluateAsync(instance, broken, TestContext.Current.CancellationToken);

        Assert.True(gold.Outcome == SweBenchOutcome.Resolved, gold.Reason + "\n" + gold.Log);
        Assert.Equal(TestStatus.Passed, gold.Tests["tests/test_calc.py::test_add"]);
        Assert.Equal(SweBenchOutcome.Unresolved, unresolved.Outcome);
        Assert.Contains("tests/test_calc.py::test_add FAILED", unresolved.Reason, StringComparison.Ordinal);
        Assert.Equal(SweBenchOutcome.PatchFailed, failed.Outcome);
    }

    [Fact]
    public async Task A_model_answer_with_miscounted_hunks_resolves_after_extraction_and_the_empty_patch_does_not()
    {
        var (executor, instance) = await ValidationRepositoryAsync();
        var answer = "The operator is wrong.\n```diff\n" + instance.Patch.Replace("@@ -1,5 +1,5 @@", "@@ -1,9 +1,2 @@", StringComparison.Ordinal) + "```\n";

        var extracted = await executor.EvaluateAsync(instance, DiffExtractor.Extract(answer), TestContext.Current.CancellationToken);
        var empty = await executor.EvaluateAsync(instance, string.Empty, TestContext.Current.CancellationToken);

        Assert.True(extracted.Outcome == SweBenchOutcome.Resolved, extracted.Reason + "\n" + extracted.Log);
        Assert.Equal(SweBenchOutcome.Unresolved, empty.Outcome);
        Assert.Equal(TestStatus.Passed, empty.Tests["tests/test_calc.py::test_sub"]);
    }

    [Fact]
    public async Task An_unknown_repository_or_commit_is_an_environment_error_not_a_model_failure()
    {
        var (executor, instance) = await ValidationRepositoryAsync();

        var noRepository = await executor.EvaluateAsync(instance with { Repo = "acme/other" }, instance.Patch, TestContext.Current.CancellationToken);
        var noCommit = await executor.EvaluateAsync(instance with { BaseCommit = new string('0', 40) }, instance.Patch, TestContext.Current.CancellationToken);

        Assert.Equal(SweBenchOutcome.Error, noRepository.Outcome);
        Assert.Equal(SweBenchOutcome.Error, noCommit.Outcome);
    }

    [Fact]
    public async Task The_pre_check_finds_a_FAIL_TO_PASS_test_that_passes_without_the_fix_and_a_data_file_is_not_collected()
    {
        var (executor, instance) = await ValidationRepositoryAsync();
        // A test patch that also adds a data file: given to pytest, it would make the run collect nothing.
        var withData = instance with
        {
            TestPatch = instance.TestPatch + "diff --git a/tests/data.toml b/tests/data.toml\nnew file mode 100644\n--- /dev/null\n+++ b/tests/data.toml\n@@ -0,0 +1 @@\n+x = 1\n",
            FailToPass = ["tests/test_calc.py::test_add", "tests/test_calc.py::test_sub"],
            PassToPass = [],
        };

        var gold = await executor.EvaluateAsync(withData, instance.Patch, TestContext.Current.CancellationToken);

        Assert.True(gold.Outcome == SweBenchOutcome.Resolved, gold.Reason + "\n" + gold.Log);
        Assert.Equal(["tests/test_calc.py::test_sub"], gold.FailToPassBefore);
    }

    [Fact]
    public async Task The_oracle_prompt_shows_the_issue_and_the_numbered_files_the_gold_patch_changes()
    {
        var (_, instance) = await ValidationRepositoryAsync();

        var snapshot = await GitSnapshot.OpenAsync(Path.Combine(_root, "repos", "acme__calc"), instance.BaseCommit, TestContext.Current.CancellationToken);
        var files = await PatchContext.SelectAsync(instance, snapshot, ContextSetting.Oracle, PatchContext.DefaultTokenBudget, TestContext.Current.CancellationToken);
        var prompt = PatchPrompt.Build(instance, ContextSetting.Oracle, files);

        Assert.Contains("add(1, 2) returns -1", prompt, StringComparison.Ordinal);
        Assert.Contains("[start of calc.py]\n1 def add(a, b):\n2     return a - b\n", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("test_calc.py", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_a_venv_the_patched_checkout_is_installed_and_old_collections_aliases_import()
    {
        // Imports the installed module from outside the checkout, through an alias Python 3.10 removed.
        var gold = await EvaluateInVenvAsync(
            "+    from collections import Mapping", "+    import importlib.metadata, calc", "+    assert importlib.metadata.version('calc') == '1.0' and Mapping");

        Assert.True(gold.Outcome == SweBenchOutcome.Resolved, gold.Reason + "\n" + gold.Log);
    }

    /// <summary>
    /// pytest-benchmark is on this machine for pylint's tests; the environment of a repository whose recipe does not name it
    /// must not load it (it broke pytest 8's own tests when every environment saw every package), while the test runner's
    /// own dependencies are there.
    /// </summary>
    [Fact]
    public async Task In_a_venv_a_pytest_plugin_installed_for_another_repository_is_not_seen()
    {
        Prerequisite.RequireInstalledByCi(Directory.Exists("/usr/lib/python3/dist-packages/pytest_benchmark"), "Debian's python3-pytest-benchmark is not installed, so its absence from the environment proves nothing");
        var gold = await EvaluateInVenvAsync(
            "+    import importlib.util", "+    assert importlib.util.find_spec('pytest_benchmark') is None", "+    assert importlib.util.find_spec('pluggy') is not None");

        Assert.True(gold.Outcome == SweBenchOutcome.Resolved, gold.Reason + "\n" + gold.Log);
        Assert.DoesNotContain("benchmark-", gold.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("--system-site-packages", gold.Log, StringComparison.Ordinal);
    }

    /// <summary>The gold patch of the installable validation repository in a venv, its FAIL_TO_PASS test starting with <paramref name="lines"/>.</summary>
    private async Task<SweBenchEvaluation> EvaluateInVenvAsync(params string[] lines)
    {
        var executor = new LocalSweBenchExecutor(new LocalSweBenchOptions(Path.Combine(_root, "repos"), LocalSweBenchOptions.DefaultPython, TestTimeout: TimeSpan.FromSeconds(120), Environment: SweBenchEnvironment.Venv));
        await SyntheticSweBenchRepository.SkipUnlessRunnableAsync(executor);
        var instance = SyntheticSweBenchRepository.Create(Path.Combine(_root, "repos"), installable: true);

        var gold = await executor.EvaluateAsync(SyntheticSweBenchRepository.WithTestLines(instance, lines), instance.Patch, TestContext.Current.CancellationToken);

        Prerequisite.RequireInstalledByCi(!gold.Reason.Contains("python3-venv", StringComparison.Ordinal), gold.Reason);
        return gold;
    }

    private async Task<(LocalSweBenchExecutor Executor, SweBenchInstance Instance)> ValidationRepositoryAsync()
    {
        var executor = new LocalSweBenchExecutor(new LocalSweBenchOptions(Path.Combine(_root, "repos"), LocalSweBenchOptions.DefaultPython, TestTimeout: TimeSpan.FromSeconds(60)));
        await SyntheticSweBenchRepository.SkipUnlessRunnableAsync(executor);
        return (executor, SyntheticSweBenchRepository.Create(Path.Combine(_root, "repos")));
    }
}
