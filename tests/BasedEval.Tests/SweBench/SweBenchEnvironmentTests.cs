using BasedEval.Core.SweBench;

namespace BasedEval.Tests.SweBench;

/// <summary>The pieces that decide how a real repository's tests run here, and which failures are the environment's.</summary>
public sealed class SweBenchEnvironmentTests
{
    [Theory]
    [InlineData("psf/requests", "0.14", false, true, true)]
    [InlineData("psf/requests", "2.10", false, true, true)]
    [InlineData("pytest-dev/pytest", "5.4", true, false, false)]
    [InlineData("pytest-dev/pytest", "6.3", true, false, false)]
    [InlineData("pytest-dev/pytest", "7.0", true, false, false)]
    [InlineData("pytest-dev/pytest", "8.0", false, false, false)]
    [InlineData("marshmallow-code/marshmallow", "2.20", false, true, false)]
    [InlineData("marshmallow-code/marshmallow", "3.0", false, false, false)]
    [InlineData("pallets/flask", "2.3", false, false, false)]
    [InlineData("acme/unknown", "1.0", false, true, false)]
    public void A_recipe_is_chosen_by_repository_and_version(string repo, string version, bool olderPython, bool aliases, bool httpbin) =>
        Assert.Equal(new SweBenchRecipe(olderPython, aliases, httpbin), SweBenchRecipe.For(repo, version));

    [Fact]
    public void A_package_view_follows_installed_dependencies_through_alternatives_and_virtual_names_only()
    {
        const string query = "python3-pytest\tii \tpython3-pluggy (>= 0.12), python3-tomli | python3 (>> 3.11), python3:any, \t\n"
            + "python3-pluggy\tii \tpython3:any, \t\n"
            + "python3-tomli\tii \tpython3:any, \t\n"
            + "python3-removed\trc \tpython3:any, \t\n"
            + "python3-typing-extensions\tii \t, \tpython3-typing-extensions-virtual\n";
        const string files = "/.\n/usr\n/usr/lib/python3/dist-packages\n/usr/lib/python3/dist-packages/_pytest\n"
            + "/usr/lib/python3/dist-packages/_pytest/main.py\n/usr/lib/python3/dist-packages/pytest-7.2.1.egg-info/PKG-INFO\n"
            + "/usr/share/doc/python3-pytest/copyright\ndiverted by dash to: /bin/sh.distrib\n";

        var installed = DebianPackageView.Parse(query);

        Assert.Equal(["python3-pluggy", "python3-tomli", "python3", "python3"], installed["python3-pytest"]);
        Assert.False(installed.ContainsKey("python3-removed"));
        Assert.Equal(["python3-typing-extensions"], installed["python3-typing-extensions-virtual"]);
        Assert.Equal(["_pytest", "pytest-7.2.1.egg-info"], DebianPackageView.TopLevelEntries(files));
    }

    [Fact]
    public void The_summary_gives_each_test_its_last_status_and_failed_lines_their_message()
    {
        const string log = """
            PASSED tests/test_a.py::test_one
            FAILED tests/test_a.py::test_two - requests.exceptions.ConnectionError: gaierror(-3, 'Temporary failure in name resolution')
            ERROR tests/test_a.py::test_three - fixture 'httpbin' not found
            SKIPPED [1] tests/test_a.py:9: needs two cores
            FAILED tests/test_a.py::test_one
            XFAIL tests/test_a.py::test_four
            """;

        var tests = PytestLog.Parse(log);
        var messages = PytestLog.Messages(log);

        Assert.Equal(TestStatus.Failed, tests["tests/test_a.py::test_one"]);
        Assert.Equal(TestStatus.Failed, tests["tests/test_a.py::test_two"]);
        Assert.Equal(TestStatus.Error, tests["tests/test_a.py::test_three"]);
        Assert.True(PytestLog.Passes(tests, "tests/test_a.py::test_four"));
        Assert.False(PytestLog.Passes(tests, "tests/test_a.py::test_missing"));
        Assert.Equal("fixture 'httpbin' not found", messages["tests/test_a.py::test_three"]);
        Assert.Contains("Temporary failure in name resolution", messages["tests/test_a.py::test_two"], StringComparison.Ordinal);
        Assert.False(messages.ContainsKey("tests/test_a.py::test_one"));
    }

    [Fact]
    public void Outside_addresses_and_paths_of_another_machine_are_environment_limits_and_a_plain_failure_is_not()
    {
        const string dns = "ConnectionError: ('Connection aborted.', gaierror(-3, 'Temporary failure in name resolution'))";
        const string stdin = "tests/test_self.py::TestRunTC::test_stdin[/mymodule.py]";

        Assert.Contains("outside loopback", EnvironmentLimits.Why("t.py::test_dns", dns), StringComparison.Ordinal);
        Assert.Contains("Network is unreachable", EnvironmentLimits.Why("t.py::test_route", "OSError: [Errno 101] Network is unreachable"), StringComparison.Ordinal);
        Assert.Contains("absolute path", EnvironmentLimits.Why(stdin, null), StringComparison.Ordinal);
        Assert.Null(EnvironmentLimits.Why(stdin, "AssertionError"));
        Assert.Null(EnvironmentLimits.Why("t.py::test_bug", "AssertionError: assert 1 == 2"));
        Assert.Null(EnvironmentLimits.Why("t.py::test_missing", null));
    }
}
