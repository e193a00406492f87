using BasedEval.Core.SweBench;

namespace BasedEval.Tests.SweBench;

/// <summary>
/// A real SWE-bench Lite instance end to end: the repository's real history, the dataset's gold and test patches, its
/// recipe's environment and the loopback httpbin. The repository comes from a local mirror, a folder beside this repository
/// (<c>.mirror/owner+name/repo</c>, a git directory) or one named by BASEDEVAL_SWEBENCH_REPOS (<c>owner__name</c> folders);
/// neither is part of a fresh machine, so there the test skips and says why.
/// </summary>
public sealed class RealSweBenchInstanceTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "basedeval-swebench-real-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Cleanup.DeleteFolder(_root);

    /// <summary>
    /// requests-2317: HTTP and HTTPS calls to httpbin.org, redirects and connect timeouts, in about 20 s; seven of its eight
    /// FAIL_TO_PASS tests passed before the fix already (they failed on the network when the dataset was made), one did not.
    /// </summary>
    [Fact]
    public async Task The_gold_patch_of_a_real_requests_instance_resolves_and_the_pre_check_sees_which_test_it_fixes()
    {
        var instance = SweBenchInstances.Load(SharedData.Require("swebench/swe-bench-lite.test.jsonl")).Single(i => i.InstanceId == "psf__requests-2317");
        var options = new LocalSweBenchOptions(RequireRepositories(instance.Repo), LocalSweBenchOptions.DefaultPython, TestTimeout: TimeSpan.FromSeconds(120), Environment: SweBenchEnvironment.Venv);
        var executor = new LocalSweBenchExecutor(options);
        await SyntheticSweBenchRepository.SkipUnlessHttpbinRunnableAsync(executor, options.Python);

        var gold = await executor.EvaluateAsync(instance, instance.Patch, TestContext.Current.CancellationToken);

        Assert.True(gold.Outcome == SweBenchOutcome.Resolved, gold.Reason + "\n" + gold.Log);
        Assert.NotNull(gold.FailToPassBefore);
        Assert.True(gold.FailToPassBefore.Count < instance.FailToPass.Count, string.Join(", ", gold.FailToPassBefore));
    }

    /// <summary>A folder with <paramref name="repo"/> as <c>owner__name</c>; skips the calling test where no mirror has it.</summary>
    private string RequireRepositories(string repo)
    {
        var named = repo.Replace("/", "__", StringComparison.Ordinal);
        var configured = Environment.GetEnvironmentVariable("BASEDEVAL_SWEBENCH_REPOS");
        if (!string.IsNullOrEmpty(configured))
        {
            Prerequisite.Require(Directory.Exists(Path.Combine(configured, named)), $"BASEDEVAL_SWEBENCH_REPOS={configured} has no {named}");
            return configured;
        }

        var mirror = FindMirror(repo);
        Prerequisite.Require(mirror is not null, $"no local mirror of {repo}: neither BASEDEVAL_SWEBENCH_REPOS nor .mirror/{repo.Replace("/", "+", StringComparison.Ordinal)}/repo beside the repository");
        Directory.CreateDirectory(_root);
        Directory.CreateSymbolicLink(Path.Combine(_root, named), mirror!);
        return _root;
    }

    private static string? FindMirror(string repo)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".mirror", repo.Replace("/", "+", StringComparison.Ordinal), "repo");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
