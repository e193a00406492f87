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
        var executor = new LocalSweBenchExecutor(new LocalSweBenchOptions(Path.Combine(_root, "repos"), LocalSweBenchOptions.DefaultPython, TestTimeout: TimeSpan.FromSeconds(120), Environment: SweBenchEnvironment.Venv));
        await SyntheticSweBenchRepository.SkipUnlessRunnableAsync(executor);
        var instance = SyntheticSweBenchRepository.Create(Path.Combine(_root, "repos"), installable: true);
        // Imports the installed module from outside the checkout, through an alias Python 3.10 removed.
        var testPatch = instance.TestPatch.Replace("+    from calc import add", "+    from collections import Mapping\n+    import importlib.metadata, calc\n+    assert importlib.metadata.version('calc') == '1.0' and Mapping\n+    add = calc.add", StringComparison.Ordinal)
            .Replace("@@ -3,3 +3,8 @@", "@@ -3,3 +3,11 @@", StringComparison.Ordinal);

        var gold = await executor.EvaluateAsync(instance with { TestPatch = testPatch }, instance.Patch, TestContext.Current.CancellationToken);

        Prerequisite.RequireInstalledByCi(!gold.Reason.Contains("python3-venv", StringComparison.Ordinal), gold.Reason);
        Assert.True(gold.Outcome == SweBenchOutcome.Resolved, gold.Reason + "\n" + gold.Log);
    }

    private async Task<(LocalSweBenchExecutor Executor, SweBenchInstance Instance)> ValidationRepositoryAsync()
    {
        var executor = new LocalSweBenchExecutor(new LocalSweBenchOptions(Path.Combine(_root, "repos"), LocalSweBenchOptions.DefaultPython, TestTimeout: TimeSpan.FromSeconds(60)));
        await SyntheticSweBenchRepository.SkipUnlessRunnableAsync(executor);
        return (executor, SyntheticSweBenchRepository.Create(Path.Combine(_root, "repos")));
    }
}
