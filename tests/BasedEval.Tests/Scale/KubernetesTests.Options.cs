using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using BasedEval.Cli.Commands;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Running;
using BasedEval.Core.Storage;
using BasedEval.Tests.EndToEnd;
using BasedEval.TestServer;
using k8s;
using k8s.Models;

namespace BasedEval.Tests.Scale;
/// <summary>`basedeval k8s` refuses what a cluster could not run, before writing anything, and names what it writes.</summary>
public sealed partial class KubernetesTests
{
    [Theory]
    [InlineData("--shards", "0", "--shards is 0", "give 1 or more shards")]
    [InlineData("--shards", "100001", "--shards is 100001", "at most 100000")]
    [InlineData("--parallelism", "5", "--parallelism is 5 but --shards is 4", "give --parallelism from 1 to 4")]
    [InlineData("--parallelism", "0", "--parallelism is 0", "give --parallelism from 1 to 4")]
    [InlineData("--image", "ghcr.io/Team/basedeval:0.1.0", "--image is `ghcr.io/Team/basedeval:0.1.0`, which is not an image reference: a repository name is lower case", "ghcr.io/team/basedeval:0.1.0")]
    [InlineData("--image", "ghcr.io/team/basedeval:0.1 beta", "it holds a space", "@sha256:")]
    [InlineData("--image", "ghcr.io/team/basedeval:", "does not read as REGISTRY/REPOSITORY[:TAG][@DIGEST]", "ghcr.io/team/basedeval:0.1.0")]
    [InlineData("--comparison", "nope", "--comparison is `nope`, which", "use one of: swap")]
    [InlineData("--namespace", "Team_A", "--namespace is `Team_A`, which is not a Kubernetes name", "at most 63 lower-case letters")]
    [InlineData("--store-secret", "Store!", "--store-secret is `Store!`", "at most 253 lower-case letters")]
    [InlineData("--store-secret-key", null, "--store-secret and --store-secret-key go together", "or neither")]
    [InlineData("--memory", "4 GB", "--memory is `4 GB`, which is not a Kubernetes quantity", "`4Gi`")]
    [InlineData("--cpu", "0", "--cpu is `0`, which is not a Kubernetes quantity above 0", "`500m`")]
    [InlineData("--limit", "0", "--limit is 0", "1 or more items")]
    public async Task Kubernetes_bad_option_exits_2_naming_the_option_and_the_fix(string option, string? value, string problem, string fix)
    {
        using var ws = new ScriptedWorkspace(10, _ => true, _ => true);
        ws.WriteConfig(new Uri("http://127.0.0.1:9/"), Gates);
        UseEnvironmentStore(ws);
        var options = new Dictionary<string, string?> { ["--shards"] = "4", ["--image"] = Image, ["--store-secret"] = "basedeval-store", ["--store-secret-key"] = "url", [option] = value };
        var result = await CliRunner.RunAsync(ws.Root, ["k8s", "--config", ws.ConfigPath, .. options.Where(o => o.Value is not null).SelectMany(o => new[] { o.Key, o.Value! })]);
        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.StartsWith("error: --", result.Error, StringComparison.Ordinal);
        Assert.Contains(option, result.Error.Split('\n')[0], StringComparison.Ordinal);
        Assert.Contains(problem, result.Error, StringComparison.Ordinal);
        Assert.Contains(fix, result.Error[result.Error.IndexOf("fix:", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(ws.Root, "k8s")));
    }

    [Theory]
    [InlineData("a SQLite store", "is the SQLite file", "write `store: env:BASEDEVAL_STORE` and pass --store-secret NAME --store-secret-key KEY")]
    [InlineData("the store's variable without its Secret", "reads the store's address from $BASEDEVAL_STORE, which the pods would not have", "pass --store-secret NAME --store-secret-key KEY")]
    [InlineData("an API key without its Secret", "target `gpt-a` reads its API key from $OPENAI_API_KEY, which the pods would not have", "pass --key-secret NAME, a Secret with the key OPENAI_API_KEY")]
    [InlineData("a suite outside evals.yaml's folder", "suite `mmlu` reads", "move the suite's files under that folder")]
    public async Task Kubernetes_what_the_pods_could_not_have_exits_2_with_the_fix(string setup, string problem, string fix)
    {
        using var ws = new ScriptedWorkspace(10, _ => true, _ => true);
        ws.WriteConfig(new Uri("http://127.0.0.1:9/"), Gates);
        var config = ws.ConfigPath;
        List<string> secret = ["--store-secret", "basedeval-store", "--store-secret-key", "url"];
        switch (setup)
        {
            case "the store's variable without its Secret":
                UseEnvironmentStore(ws);
                secret = [];
                break;
            case "an API key without its Secret":
                UseEnvironmentStore(ws);
                File.WriteAllText(config, File.ReadAllText(config).Replace("    model: gpt-a\n", "    model: gpt-a\n    api_key_env: OPENAI_API_KEY\n", StringComparison.Ordinal));
                break;
            case "a suite outside evals.yaml's folder":
                UseEnvironmentStore(ws);
                config = Path.Combine(Directory.CreateDirectory(Path.Combine(ws.Root, "team")).FullName, "evals.yaml");
                File.WriteAllText(config, File.ReadAllText(ws.ConfigPath).Replace("path: mmlu", "path: ../mmlu", StringComparison.Ordinal));
                break;
        }

        var result = await CliRunner.RunAsync(ws.Root, ["k8s", "--config", config, "--shards", "2", "--image", Image, .. secret]);
        Assert.Equal(ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains(problem, result.Error, StringComparison.Ordinal);
        Assert.Contains(fix, result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(ws.Root, "k8s")));
    }

    [Theory]
    [InlineData("swap", "basedeval-swap")]
    [InlineData("quantize-q4", "basedeval-quantize-q4")]
    [InlineData("Quantize Q4!", null)]
    [InlineData("über_model", null)]
    [InlineData("---", null)]
    [InlineData("a-comparison-whose-name-runs-on-far-past-what-a-pod-hostname-can-hold", null)]
    public void Kubernetes_names_are_DNS_1123_labels_made_from_the_comparison(string comparison, string? expected)
    {
        var name = KubernetesText.BaseName(comparison);
        if (expected is not null)
        {
            Assert.Equal(expected, name);
        }

        // The longest name made from it, an Indexed Job's last pod hostname, is still a label.
        Assert.True(KubernetesText.IsLabel($"{name}-compare-99999"), name);
        Assert.NotEqual(name, KubernetesText.BaseName(comparison.ToUpperInvariant() + "x"));
    }

    [Theory]
    [InlineData("question,a,b,c,d,A\n", true)]
    [InlineData("tab\tseparated\n  indented\n\ntrailing  \n", true)]
    [InlineData("windows\r\nlines\r\n", false)]
    [InlineData("\uFEFFbom first\n", false)]
    [InlineData("bell \u0007\n", false)]
    public void Kubernetes_files_a_YAML_string_would_change_go_in_binaryData(string content, bool text)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var job = SmallJob() with { Files = [new ConfigFile("evals.yaml", "evals.yaml", "version: 1\n"u8.ToArray()), new ConfigFile("mmlu.a_test.csv", "mmlu/a_test.csv", bytes)] };
        var map = KubernetesYaml.Deserialize<V1ConfigMap>(KubernetesText.Yaml(KubernetesManifests.ConfigMap(job), []), strict: true);
        Assert.Equal(text, map.Data.ContainsKey("mmlu.a_test.csv"));
        Assert.Equal(bytes, text ? Encoding.UTF8.GetBytes(map.Data["mmlu.a_test.csv"]) : map.BinaryData["mmlu.a_test.csv"]);
        Assert.Empty(KubernetesValidator.ConfigMap(map));
    }
}
