using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using BasedEval.Core.SweBench;

namespace BasedEval.Tests.SweBench;

/// <summary>
/// A repository built in SWE-bench form: a module with a bug, a test file, a gold patch, and a test patch adding the test
/// that fails before the fix; with the instance that describes it.
/// </summary>
internal static class SyntheticSweBenchRepository
{
    public const string Buggy = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n";

    /// <summary>The gold patch with its fix wrong: it applies, and test_add still fails.</summary>
    public static string WrongPatch(SweBenchInstance instance) => instance.Patch.Replace("+    return a + b", "+    return b - a", StringComparison.Ordinal);

    /// <summary>
    /// The gold patch removing a line that is not in the file: no fuzz can place it (changed context alone would be fuzzed
    /// past), so it does not apply.
    /// </summary>
    public static string BrokenPatch(SweBenchInstance instance) => instance.Patch.Replace("-    return a - b", "-    return a // b", StringComparison.Ordinal);

    /// <summary>Skips the calling test where pytest or git is missing, as on a machine without Python.</summary>
    public static async Task SkipUnlessRunnableAsync(LocalSweBenchExecutor executor)
    {
        var unavailable = await executor.UnavailableReasonAsync(TestContext.Current.CancellationToken);
        Prerequisite.RequireInstalledByCi(unavailable is null, $"the local SWE-bench runner needs pytest: {unavailable}");
        Prerequisite.Require(Core.Scoring.Execution.ChildProcess.FindOnPath("git") is not null, "git was not found on PATH");
    }

    /// <summary>Skips the calling test where the runner or the loopback httpbin that psf/requests instances need cannot run.</summary>
    public static async Task SkipUnlessHttpbinRunnableAsync(LocalSweBenchExecutor executor, string python)
    {
        await SkipUnlessRunnableAsync(executor);
        Prerequisite.Require(executor.IsolationWarning is null, $"the httpbin stand-in needs a private network namespace: {executor.IsolationWarning}");
        var httpbin = await HttpbinStandIn.UnavailableReasonAsync(python, TestContext.Current.CancellationToken);
        Prerequisite.RequireInstalledByCi(httpbin is null, httpbin!);
    }

    /// <summary>
    /// Creates the repository as <c>acme__calc</c> under <paramref name="repositories"/> and returns its instance;
    /// <paramref name="installable"/> adds a setup.py so that the checkout installs with pip. Another <paramref name="repo"/>
    /// and <paramref name="version"/> give the instance that repository's recipe.
    /// </summary>
    public static SweBenchInstance Create(string repositories, bool installable = false, string repo = "acme/calc", string version = "1.0")
    {
        Prerequisite.RequireInstalledByCi(Core.Scoring.Execution.ChildProcess.FindOnPath("git") is not null, "git was not found on PATH, and the validation repository is made with it");
        var folder = repo.Replace("/", "__", StringComparison.Ordinal);
        var repository = Path.Combine(repositories, folder);
        Directory.CreateDirectory(Path.Combine(repository, "tests"));
        Git(repository, "init", "--quiet");
        File.WriteAllText(Path.Combine(repository, "calc.py"), Buggy);
        if (installable)
        {
            File.WriteAllText(Path.Combine(repository, "setup.py"), "from setuptools import setup\n\nsetup(name='calc', version='1.0', py_modules=['calc'])\n");
        }

        File.WriteAllText(Path.Combine(repository, "tests", "test_calc.py"), "from calc import sub\n\n\ndef test_sub():\n    assert sub(3, 1) == 2\n");
        Git(repository, "add", "-A");
        Git(repository, "commit", "--quiet", "-m", "calc");
        var baseCommit = Git(repository, "rev-parse", "HEAD").Trim();

        File.WriteAllText(Path.Combine(repository, "calc.py"), Buggy.Replace("return a - b\n\n\ndef sub", "return a + b\n\n\ndef sub", StringComparison.Ordinal));
        var gold = Git(repository, "diff");
        File.AppendAllText(Path.Combine(repository, "tests", "test_calc.py"), "\n\ndef test_add():\n    from calc import add\n    assert add(1, 2) == 3\n");
        var testPatch = Git(repository, "diff", "--", "tests");
        Git(repository, "checkout", "--quiet", "--", ".");

        return new SweBenchInstance(
            folder + "-1", repo, baseCommit, gold, testPatch, "add(1, 2) returns -1 instead of 3.", string.Empty, version,
            ["tests/test_calc.py::test_add"], ["tests/test_calc.py::test_sub"], baseCommit, "2024-01-01T00:00:00Z");
    }

    /// <summary>The test patch with <paramref name="lines"/> (patch lines, "+" first) at the start of the FAIL_TO_PASS test, its hunk header recounted.</summary>
    public static SweBenchInstance WithTestLines(SweBenchInstance instance, params string[] lines) => instance with
    {
        TestPatch = instance.TestPatch
            .Replace("+    from calc import add", string.Join('\n', lines) + "\n+    from calc import add", StringComparison.Ordinal)
            .Replace("@@ -3,3 +3,8 @@", $"@@ -3,3 +3,{8 + lines.Length} @@", StringComparison.Ordinal),
    };

    /// <summary>The instance as one line of the official JSON Lines dataset.</summary>
    public static string Record(SweBenchInstance instance) => new JsonObject
    {
        ["instance_id"] = instance.InstanceId,
        ["repo"] = instance.Repo,
        ["base_commit"] = instance.BaseCommit,
        ["patch"] = instance.Patch,
        ["test_patch"] = instance.TestPatch,
        ["problem_statement"] = instance.ProblemStatement,
        ["version"] = instance.Version,
        ["FAIL_TO_PASS"] = JsonSerializer.Serialize(instance.FailToPass),
        ["PASS_TO_PASS"] = JsonSerializer.Serialize(instance.PassToPass),
    }.ToJsonString();

    public static string Git(string folder, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {error}");
        return output;
    }
}
