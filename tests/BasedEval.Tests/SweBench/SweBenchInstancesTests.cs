using System.Text;
using BasedEval.Core.Suites;
using BasedEval.Core.SweBench;
using FsCheck;
using FsCheck.Fluent;

namespace BasedEval.Tests.SweBench;

public class SweBenchInstancesTests
{
    private const string Record = """{"repo": "acme/calc", "instance_id": "acme__calc-1", "base_commit": "abc123", "patch": "diff --git a/x b/x\n", "test_patch": "diff --git a/t b/t\n", "problem_statement": "Bug", "hints_text": "", "created_at": "2023-01-01T00:00:00Z", "version": "1.0", "FAIL_TO_PASS": "[\"tests/test_x.py::test_a\"]", "PASS_TO_PASS": "[]", "environment_setup_commit": "abc123"}""";

    [Fact]
    public void Lite_test_as_json_array_loads_all_300_with_the_provenance_spot_checks()
    {
        var instances = SweBenchInstances.Load(SharedData.Require("swebench/swe-bench-lite.test.json"));

        Assert.Equal(300, instances.Count);
        var requests = instances.Single(i => i.InstanceId == "psf__requests-2317");
        Assert.StartsWith("091991be", requests.BaseCommit, StringComparison.Ordinal);
        Assert.Equal("2.4", requests.Version);
        Assert.StartsWith("4346498c", instances.Single(i => i.InstanceId == "pallets__flask-4045").EnvironmentSetupCommit, StringComparison.Ordinal);
        Assert.All(instances, i => Assert.NotEmpty(i.FailToPass));
        Assert.Equal(114, instances.Count(i => i.Repo == "django/django"));
    }

    [Fact]
    public void Lite_test_as_jsonl_holds_the_same_records_as_the_array()
    {
        var array = SweBenchInstances.Load(SharedData.Require("swebench/swe-bench-lite.test.json"));
        var lines = SweBenchInstances.Load(SharedData.Require("swebench/swe-bench-lite.test.jsonl"));

        Assert.Equal(300, lines.Count);
        var byId = array.ToDictionary(i => i.InstanceId);
        Assert.All(lines, i =>
        {
            var other = byId[i.InstanceId];
            Assert.Equal(other.Patch, i.Patch);
            Assert.Equal(other.FailToPass, i.FailToPass);
            Assert.Equal(other.PassToPass, i.PassToPass);
        });
    }

    [Fact]
    public void Lite_dev_and_the_small_repository_subset_load()
    {
        var dev = SweBenchInstances.Load(SharedData.Require("swebench/swe-bench-lite.dev.jsonl"));
        var small = SweBenchInstances.Load(SharedData.Require("swebench/swe-bench-lite.test.small-repos-subset.jsonl"));

        Assert.Equal(23, dev.Count);
        Assert.Equal(2, dev.Count(i => i.Repo == "marshmallow-code/marshmallow"));
        Assert.Equal(32, small.Count);
        Assert.Equal(6, SweBenchInstances.Select(small, ["psf/requests"], null).Count);
    }

    [Fact]
    public void Every_gold_patch_of_lite_test_parses_and_names_the_files_to_show()
    {
        var instances = SweBenchInstances.Load(SharedData.Require("swebench/swe-bench-lite.test.json"));

        Assert.All(instances, i => Assert.NotEmpty(PatchContext.OracleFiles(i)));
        Assert.All(instances, i => Assert.Equal(i.Patch, UnifiedDiff.Repair(i.Patch)));
    }

    [Fact]
    public void Select_filters_by_repository_and_id_and_refuses_names_that_match_nothing()
    {
        var instances = SweBenchInstances.Parse("x.jsonl", Encoding.UTF8.GetBytes(Record + "\n" + Record.Replace("calc-1", "calc-2", StringComparison.Ordinal)));

        Assert.Equal(["acme__calc-2"], SweBenchInstances.Select(instances, ["acme/calc"], ["acme__calc-2"]).Select(i => i.InstanceId));
        Assert.Equal(2, SweBenchInstances.Select(instances, null, null).Count);
        Assert.Throws<ArgumentException>(() => SweBenchInstances.Select(instances, ["acme/calk"], null));
    }

    [Fact]
    public void Test_lists_are_decoded_from_their_json_strings()
    {
        var instance = SweBenchInstances.Parse("x.json", Encoding.UTF8.GetBytes("[\n" + Record + "\n]")).Single();

        Assert.Equal(["tests/test_x.py::test_a"], instance.FailToPass);
        Assert.Empty(instance.PassToPass);
    }

    [Theory]
    [InlineData("\"FAIL_TO_PASS\": \"[\\\"tests/test_x.py::test_a\\\"]\"", "\"FAIL_TO_PASS\": \"[tests\"", 2, "FAIL_TO_PASS")]
    [InlineData("\"base_commit\": \"abc123\"", "\"base_commit\": 5", 2, "base_commit")]
    [InlineData("\"PASS_TO_PASS\": \"[]\"", "\"PASS_TO_PASS\": \"[1]\"", 2, "PASS_TO_PASS")]
    public void A_broken_record_is_reported_with_file_line_and_fix(string field, string broken, int line, string named)
    {
        var content = Record + "\n" + Record.Replace("calc-1", "calc-2", StringComparison.Ordinal).Replace(field, broken, StringComparison.Ordinal);

        var error = Assert.Throws<SuiteDataException>(() => SweBenchInstances.Parse("lite.jsonl", Encoding.UTF8.GetBytes(content)));

        Assert.Equal("lite.jsonl", error.File);
        Assert.Equal(line, error.Line);
        Assert.Contains(named, error.Problem, StringComparison.Ordinal);
        Assert.NotEmpty(error.Fix);
    }

    [Fact]
    public void In_a_json_array_the_line_of_the_broken_record_is_named()
    {
        var content = "[\n" + Record + ",\n" + Record.Replace("\"repo\": \"acme/calc\", ", string.Empty, StringComparison.Ordinal) + "\n]";

        var error = Assert.Throws<SuiteDataException>(() => SweBenchInstances.Parse("lite.json", Encoding.UTF8.GetBytes(content)));

        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void A_duplicate_instance_id_is_refused()
    {
        var error = Assert.Throws<SuiteDataException>(() => SweBenchInstances.Parse("x.jsonl", Encoding.UTF8.GetBytes(Record + "\n" + Record)));

        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void The_loader_throws_nothing_but_suite_data_errors_on_damaged_input()
    {
        var pieces = Gen.Elements("[", "]", "{", "}", ",", ":", "\n", "\"", "\"FAIL_TO_PASS\"", "\"[1]\"", "\"repo\"", "\"x\"", "null", "5", "\\", "\u00e9", "[\"a\"]", Record);
        var inputs = pieces.ArrayOf().Select(p => string.Concat(p));
        Prop.ForAll(inputs.ToArbitrary(), text =>
        {
            try
            {
                SweBenchInstances.Parse("fuzz.json", Encoding.UTF8.GetBytes(text));
            }
            catch (SuiteDataException)
            {
                // The one documented failure.
            }
        }).QuickCheckThrowOnFailure();
    }
}
