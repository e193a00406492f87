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

/// <summary>
/// `basedeval k8s`: the manifests read back as the objects written, pass what the API server checks of a Job and a
/// ConfigMap, and run, pod by pod as a kubelet would start them, into two complete runs that the comparison finds by id.
/// No cluster runs here (no kind, no kubelet, no API server): the pods are processes on this machine.
/// </summary>
public sealed partial class KubernetesTests
{
    private const string Image = "ghcr.io/team/basedeval:0.1.0";

    private const string Gates = """
              quality: { margin: 2, confidence: 0.95 }
        """;

    /// <summary>Wide enough that 40 items both models get right decide: PASS.</summary>
    private const string WideGates = """
              quality: { margin: 20, confidence: 0.95 }
        """;

    [Fact]
    public async Task Kubernetes_pods_run_as_the_manifests_say_meet_in_the_store_and_the_comparison_finds_both_runs_by_id()
    {
        var cancel = TestContext.Current.CancellationToken;
        const int Items = 60, Limit = 40, Shards = 3;
        using var ws = new ScriptedWorkspace(Items, _ => true, _ => true);
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, ttftMs: 1), ["open-b"] = ws.Model(ws.CandidateRight, ttftMs: 1) } };
        await using var server = await TestLlmServer.StartAsync(script, cancel);
        ws.WriteConfig(server.BaseUrl, WideGates, concurrency: 8);
        UseEnvironmentStore(ws);
        // Line ends a YAML string cannot carry: the file must reach the pods byte for byte, or they would plan other requests.
        var crlf = Path.Combine(ws.Root, "mmlu", "subject03_test.csv");
        await File.WriteAllTextAsync(crlf, (await File.ReadAllTextAsync(crlf, cancel)).ReplaceLineEndings("\r\n"), cancel);

        // The models named instead of the comparison: the comparison's pod must resolve the same one, and its gates.
        var written = await WriteAsync(ws, "--baseline", "gpt-a", "--candidate", "open-b", "--shards", $"{Shards}", "--parallelism", "2", "--limit", $"{Limit}", "--key-secret", "basedeval-keys", "--out", "k8s manifests");
        var (baselineRun, candidateRun) = RunIds(written.Output);
        var m = await ReadAsync(Path.Combine(ws.Root, "k8s manifests"));
        Assert.Empty(Everything(m));
        Assert.Contains("mmlu.subject03_test.csv", m.ConfigMap.BinaryData.Keys);
        Assert.Equal([baselineRun, candidateRun], new[] { "basedeval/baseline-run", "basedeval/candidate-run" }.Select(k => m.Shards.Metadata.Annotations[k]));
        Assert.Equal(["compare", "--config", "evals.yaml", "--baseline", "gpt-a", "--candidate", "open-b", "--baseline-run", baselineRun, "--candidate-run", candidateRun], m.Compare.Spec.Template.Spec.Containers[0].Args);

        var store = Path.Combine(ws.Root, "cluster", "store.db");
        Directory.CreateDirectory(Path.GetDirectoryName(store)!);
        var secrets = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["basedeval-store"] = new Dictionary<string, string> { ["url"] = store },
            ["basedeval-keys"] = new Dictionary<string, string> { ["UNUSED_KEY"] = "not read by these targets" },
        };
        var pods = new KubernetesPods(Path.Combine(ws.Root, "cluster"), m.ConfigMap, secrets);

        // At most `parallelism` pods at once, each told only its completion index.
        using var slots = new SemaphoreSlim(m.Shards.Spec.Parallelism!.Value);
        var shardPods = await Task.WhenAll(Enumerable.Range(0, m.Shards.Spec.Completions!.Value).Select(async index =>
        {
            await slots.WaitAsync(cancel);
            try
            {
                return await pods.RunAsync(m.Shards.Spec.Template.Spec, index, cancel);
            }
            finally
            {
                slots.Release();
            }
        }));
        foreach (var (_, containers) in shardPods)
        {
            Assert.Equal(["baseline", "candidate"], containers.Select(c => c.Name));
            Assert.All(containers, c => Assert.True(c.ExitCode == 0, $"{c.Name} exited {c.ExitCode}:\n{c.Output}"));
            Assert.Contains($"run {baselineRun}:", containers[0].Output, StringComparison.Ordinal);
            Assert.Contains($"run {candidateRun}:", containers[1].Output, StringComparison.Ordinal);
        }

        var (folder, compared) = await pods.RunAsync(m.Compare.Spec.Template.Spec, completionIndex: null, cancel);
        var compare = Assert.Single(compared);
        Assert.True(compare.ExitCode == ExitCodes.Pass, compare.Output);
        Assert.Contains("verdict: PASS (exit 0)", compare.Output, StringComparison.Ordinal);
        using (var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Assert.Single(Directory.GetDirectories(Path.Combine(folder, "reports"))), "comparison.json"), cancel)))
        {
            Assert.Equal("PASS", report.RootElement.GetProperty("verdict").GetString());
        }

        // Two runs, each whole: every shard completed, every item once, every item sent once per model.
        await using (var results = await SqliteResultStore.OpenAsync(store, cancel))
        {
            var runs = await results.ListRunsAsync(cancel);
            Assert.Equal(new[] { baselineRun, candidateRun }.Order(StringComparer.Ordinal), runs.Select(r => r.Id).Order(StringComparer.Ordinal));
            foreach (var run in runs)
            {
                Assert.Equal(RunStatus.Completed, run.Status);
                var shards = await results.GetShardsAsync(run.Id, cancel);
                Assert.Equal(Enumerable.Range(0, Shards), shards.Select(s => s.Index));
                Assert.All(shards, s => Assert.Equal(ShardStatus.Completed, s.Status));
                Assert.Equal(Limit, (await results.GetSamplesAsync(run.Id, cancel)).Count);
            }
        }

        foreach (var model in new[] { "gpt-a", "open-b" })
        {
            var keys = server.Requests.Where(r => r.Model == model).Select(r => r.Key).ToList();
            Assert.Equal(Limit, keys.Count);
            Assert.Equal(Limit, keys.Distinct().Count());
        }
    }

    [Fact]
    public async Task Kubernetes_manifests_read_back_with_KubernetesYaml_are_the_objects_written()
    {
        using var ws = new ScriptedWorkspace(40, _ => true, _ => true);
        ws.WriteConfig(new Uri("http://127.0.0.1:9/"), Gates);
        UseEnvironmentStore(ws);
        var written = await WriteAsync(ws, "--shards", "4", "--parallelism", "3", "--limit", "30", "--namespace", "evals", "--key-secret", "basedeval-keys", "--config-map", "team-evals", "--cpu", "500m", "--memory", "1Gi");
        var m = await ReadAsync(Path.Combine(ws.Root, "k8s"));

        // The objects the command builds, from the same evals.yaml, as JSON: what the API server would be sent.
        var config = ConfigLoader.Load(ws.ConfigPath);
        var plan = Evaluation.PlanShards(config, new CompareRequest("swap", null, null, 30), 4, NullRunObserver.Instance);
        var job = new KubernetesJob(plan, ["--comparison", "swap"], 30, Image, KubernetesCommand.Files(config, plan))
        {
            Parallelism = 3,
            Namespace = "evals",
            Store = new StoreSecret("basedeval-store", "url", "BASEDEVAL_STORE"),
            KeySecret = "basedeval-keys",
            ConfigMapName = "team-evals",
            Cpu = "500m",
            Memory = "1Gi",
        };
        Assert.Equal(KubernetesJson.Serialize(KubernetesManifests.ConfigMap(job)), KubernetesJson.Serialize(m.ConfigMap));
        Assert.Equal(KubernetesJson.Serialize(KubernetesManifests.Shards(job)), KubernetesJson.Serialize(m.Shards));
        Assert.Equal(KubernetesJson.Serialize(KubernetesManifests.Compare(job)), KubernetesJson.Serialize(m.Compare));

        // And the objects read back write the same files again.
        Assert.Equal(m.ConfigMapText, KubernetesText.Yaml(m.ConfigMap, Comment(m.ConfigMapText)));
        Assert.Equal(m.ShardsText, KubernetesText.Yaml(m.Shards, Comment(m.ShardsText)));
        Assert.Equal(m.CompareText, KubernetesText.Yaml(m.Compare, Comment(m.CompareText)));

        // What the pods get is the files themselves.
        Assert.Equal(File.ReadAllText(ws.ConfigPath), m.ConfigMap.Data["evals.yaml"]);
        Assert.Equal(10, m.ConfigMap.Data.Keys.Count(k => k.StartsWith("mmlu.subject", StringComparison.Ordinal)));
        Assert.All(m.ConfigMap.Data.Where(d => d.Key != "evals.yaml"), d => Assert.Equal(File.ReadAllText(Path.Combine(ws.Root, "mmlu", d.Key["mmlu.".Length..])), d.Value));

        var spec = m.Shards.Spec;
        Assert.Equal<(string, int?, int?, int?, string)>(("Indexed", 4, 3, KubernetesManifests.RetriesPerShard, "Never"), (spec.CompletionMode, spec.Completions, spec.Parallelism, spec.BackoffLimitPerIndex, spec.Template.Spec.RestartPolicy));
        var (baseline, candidate) = (Assert.Single(spec.Template.Spec.InitContainers), Assert.Single(spec.Template.Spec.Containers));
        Assert.Equal(["run", "--config", "evals.yaml", "--target", "gpt-a", "--suite", "mmlu", "--limit", "30"], baseline.Args);
        Assert.Equal(["run", "--config", "evals.yaml", "--target", "open-b", "--suite", "mmlu", "--limit", "30"], candidate.Args);
        foreach (var container in new[] { baseline, candidate })
        {
            Assert.Equal("4", Assert.Single(container.Env, e => e.Name == ShardSpec.ShardCountVariable).Value);
            var store = Assert.Single(container.Env, e => e.Name == "BASEDEVAL_STORE").ValueFrom.SecretKeyRef;
            Assert.Equal(("basedeval-store", "url"), (store.Name, store.Key));
            Assert.Equal("basedeval-keys", Assert.Single(container.EnvFrom).SecretRef.Name);
            // Secrets are named, never copied: the only value written is the shard count.
            Assert.All(container.Env.Where(e => e.Name != ShardSpec.ShardCountVariable), e => Assert.Null(e.Value));
            Assert.Equal(("500m", "1Gi", "1Gi"), (container.Resources.Requests["cpu"].ToString(), container.Resources.Requests["memory"].ToString(), container.Resources.Limits["memory"].ToString()));
        }

        var comparer = Assert.Single(m.Compare.Spec.Template.Spec.Containers);
        Assert.Equal(["compare", "--config", "evals.yaml", "--comparison", "swap", "--baseline-run", plan.BaselineRunId, "--candidate-run", plan.CandidateRunId], comparer.Args);
        Assert.Null(comparer.EnvFrom);
        Assert.DoesNotContain(comparer.Env, e => e.Name == ShardSpec.ShardCountVariable);

        Assert.Equal("team-evals", m.ConfigMap.Metadata.Name);
        Assert.Equal("team-evals", Assert.Single(m.Shards.Spec.Template.Spec.Volumes, v => v.ConfigMap is not null).ConfigMap.Name);
        Assert.Contains($"kubectl wait --for=condition=complete --timeout=24h job/basedeval-swap-shards -n evals && kubectl apply --server-side -f {Path.Combine("k8s", "compare-job.yaml")}", written.Output, StringComparison.Ordinal);
        Assert.Contains("kubectl wait --for=condition=complete --timeout=24h job/basedeval-swap-shards -n evals && kubectl apply --server-side -f compare-job.yaml", m.CompareText, StringComparison.Ordinal);
        Assert.Contains("the Secret basedeval-store must hold the key url", written.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubernetes_manifests_pass_the_Job_API_validation_the_required_fields_and_the_schema_types()
    {
        using var ws = new ScriptedWorkspace(20, _ => true, _ => true);
        ws.WriteConfig(new Uri("http://127.0.0.1:9/"), Gates);
        UseEnvironmentStore(ws);
        await WriteAsync(ws, "--shards", "99999", "--parallelism", "500", "--namespace", "evals");
        var m = await ReadAsync(Path.Combine(ws.Root, "k8s"));
        Assert.Empty(Everything(m));
        // The longest pod hostname, NAME-99998, is still a DNS-1123 label.
        Assert.True(m.Shards.Metadata.Name.Length + "-99998".Length <= 63);

        // Strict reading refuses a key the models (generated from the v1.37 OpenAPI document) do not know.
        var unknown = m.ShardsText.Replace("  completionMode: Indexed", "  completionMode: Indexed\n  completionsPerIndex: 2", StringComparison.Ordinal);
        Assert.ThrowsAny<YamlDotNet.Core.YamlException>(() => KubernetesYaml.Deserialize<V1Job>(unknown, strict: true));
        Assert.Contains(KubernetesValidator.Types(unknown, typeof(V1Job)), e => e.Contains("completionsPerIndex: unknown field of V1JobSpec", StringComparison.Ordinal));
        // kubectl reads YAML 1.1: a bare 4 where the schema has a string is a number, and the API server refuses it.
        var number = m.ShardsText.Replace("value: \"99999\"", "value: 99999", StringComparison.Ordinal);
        Assert.Contains(KubernetesValidator.Types(number, typeof(V1Job)), e => e.Contains("`99999` reads as int in YAML 1.1, where the schema has a String", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Kubernetes_names_that_YAML_1_1_reads_as_numbers_are_written_quoted()
    {
        using var ws = new ScriptedWorkspace(20, _ => true, _ => true);
        ws.WriteConfig(new Uri("http://127.0.0.1:9/"), Gates);
        UseEnvironmentStore(ws);
        var text = (await File.ReadAllTextAsync(ws.ConfigPath, TestContext.Current.CancellationToken))
            .Replace("gpt-a", "0x1F", StringComparison.Ordinal).Replace("open-b", "1_000", StringComparison.Ordinal).Replace("\n  swap:\n", "\n  no:\n", StringComparison.Ordinal);
        await File.WriteAllTextAsync(ws.ConfigPath, text, TestContext.Current.CancellationToken);

        await WriteAsync(ws, "--comparison", "no", "--shards", "2");
        var m = await ReadAsync(Path.Combine(ws.Root, "k8s"));
        Assert.Empty(Everything(m));
        Assert.Contains("- \"0x1F\"\n", m.ShardsText, StringComparison.Ordinal);
        Assert.Contains("- \"1_000\"\n", m.ShardsText, StringComparison.Ordinal);
        Assert.Contains("- \"no\"\n", m.CompareText, StringComparison.Ordinal);
        Assert.Equal(["compare", "--config", "evals.yaml", "--comparison", "no"], m.Compare.Spec.Template.Spec.Containers[0].Args.Take(5));

        // KubernetesYaml alone quotes by YAML 1.2 and leaves these bare: kubectl would send numbers.
        Assert.Contains(KubernetesValidator.Types(KubernetesYaml.Serialize(m.Shards), typeof(V1Job)), e => e.Contains("`0x1F` reads as int", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("as written", null)]
    [InlineData("Indexed without completions", "spec.completions: required when completion mode is Indexed")]
    [InlineData("negative parallelism", "spec.parallelism: must be greater than or equal to 0")]
    [InlineData("restartPolicy Always", "spec.template.spec.restartPolicy: `Always` is not supported for a Job")]
    [InlineData("OnFailure with podFailurePolicy", "only Never is supported with podFailurePolicy")]
    [InlineData("backoffLimitPerIndex without Indexed", "spec.backoffLimitPerIndex: requires indexed completion mode")]
    [InlineData("container name", "initContainers[Baseline_1].name: not a DNS-1123 label")]
    [InlineData("two containers of one name", "containers[baseline].name: not a DNS-1123 label, or not unique")]
    [InlineData("environment variable name", "env[1SHARDS].name: not a valid environment variable name")]
    [InlineData("secretKeyRef without key", "key: required by the OpenAPI definition of V1SecretKeySelector")]
    [InlineData("secretKeyRef without name", "valueFrom.secretKeyRef: a Secret's name and a valid key are both required")]
    [InlineData("JOB_COMPLETION_INDEX in the manifest", "set by the Job controller")]
    [InlineData("label value too long", "is not a label value")]
    [InlineData("name too long for the pods' hostnames", "would not be a DNS-1123 label")]
    [InlineData("exit code 0 with In", "must not hold 0 for the In operator")]
    [InlineData("exit codes out of order", "must be unique and ordered")]
    [InlineData("exit codes of no container", "`worker` is no container of the pod")]
    [InlineData("mount of no volume", "`scratch` is no volume of the pod")]
    [InlineData("subPath climbing out", "subPath: a relative path without '..'")]
    [InlineData("request above its limit", "requests[memory]: must be less than or equal to its limit")]
    [InlineData("podFailurePolicy without rules", "rules: required by the OpenAPI definition of V1PodFailurePolicy")]
    public void Kubernetes_validator_finds_what_the_API_server_would_refuse(string change, string? error)
    {
        var job = KubernetesManifests.Shards(SmallJob());
        var spec = job.Spec;
        var pod = spec.Template.Spec;
        var baseline = pod.InitContainers[0];
        switch (change)
        {
            case "Indexed without completions": spec.Completions = null; break;
            case "negative parallelism": spec.Parallelism = -1; break;
            case "restartPolicy Always": pod.RestartPolicy = "Always"; break;
            case "OnFailure with podFailurePolicy": pod.RestartPolicy = "OnFailure"; spec.BackoffLimitPerIndex = null; break;
            case "backoffLimitPerIndex without Indexed": spec.CompletionMode = "NonIndexed"; break;
            case "container name": baseline.Name = "Baseline_1"; break;
            case "two containers of one name": pod.Containers[0].Name = "baseline"; break;
            case "environment variable name": baseline.Env[0].Name = "1SHARDS"; break;
            case "secretKeyRef without key": baseline.Env[1].ValueFrom.SecretKeyRef.Key = null; break;
            case "secretKeyRef without name": baseline.Env[1].ValueFrom.SecretKeyRef.Name = null; break;
            case "JOB_COMPLETION_INDEX in the manifest": baseline.Env.Add(new V1EnvVar { Name = "JOB_COMPLETION_INDEX", Value = "0" }); break;
            case "label value too long": job.Metadata.Labels["app.kubernetes.io/instance"] = new string('a', 64); break;
            case "name too long for the pods' hostnames": job.Metadata.Name = new string('a', 62); break;
            case "exit code 0 with In": spec.PodFailurePolicy.Rules[0].OnExitCodes.Values = [0, 2]; break;
            case "exit codes out of order": spec.PodFailurePolicy.Rules[0].OnExitCodes.Values = [3, 1]; break;
            case "exit codes of no container": spec.PodFailurePolicy.Rules[0].OnExitCodes.ContainerName = "worker"; break;
            case "mount of no volume": baseline.VolumeMounts[1].Name = "scratch"; break;
            case "subPath climbing out": baseline.VolumeMounts[1].SubPath = "../evals.yaml"; break;
            case "request above its limit": baseline.Resources.Requests["memory"] = new ResourceQuantity("8Gi"); break;
            case "podFailurePolicy without rules": spec.PodFailurePolicy.Rules = null; break;
        }

        var errors = KubernetesValidator.Job(job).Concat(KubernetesValidator.RequiredFields(job)).ToList();
        if (error is null)
        {
            Assert.Empty(errors);
            Assert.Empty(KubernetesValidator.Types(KubernetesText.Yaml(job, []), typeof(V1Job)));
        }
        else
        {
            Assert.True(errors.Any(e => e.Contains(error, StringComparison.Ordinal)), $"expected `{error}` in:\n{string.Join('\n', errors)}");
        }
    }

    /// <summary>A job of the verb's own making, without evals.yaml: for checks of the validator itself.</summary>
    private static KubernetesJob SmallJob() => new(
        new ShardedComparison("swap", "gpt-a", "open-b", ["mmlu"], 4, "run-gpt-a-0123456789abcdef", "run-open-b-fedcba9876543210"),
        ["--comparison", "swap"],
        null,
        Image,
        [new ConfigFile("evals.yaml", "evals.yaml", "version: 1\n"u8.ToArray()), new ConfigFile("mmlu.a_test.csv", "mmlu/a_test.csv", "q,a,b,c,d,A\n"u8.ToArray())])
    {
        Store = new StoreSecret("basedeval-store", "url", "BASEDEVAL_STORE"),
        KeySecret = "basedeval-keys",
    };

    private static void UseEnvironmentStore(ScriptedWorkspace ws) =>
        File.WriteAllText(ws.ConfigPath, File.ReadAllText(ws.ConfigPath).Replace("store: store/results.db", "store: env:BASEDEVAL_STORE", StringComparison.Ordinal));

    private static async Task<CliResult> WriteAsync(ScriptedWorkspace ws, params string[] options)
    {
        var result = await CliRunner.RunAsync(ws.Root, ["k8s", "--config", ws.ConfigPath, "--image", Image, "--store-secret", "basedeval-store", "--store-secret-key", "url", .. options]);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        return result;
    }

    private static async Task<Manifests> ReadAsync(string folder)
    {
        var cancel = TestContext.Current.CancellationToken;
        var configMap = await File.ReadAllTextAsync(Path.Combine(folder, KubernetesCommand.ConfigMapFile), cancel);
        var shards = await File.ReadAllTextAsync(Path.Combine(folder, KubernetesCommand.ShardsFile), cancel);
        var compare = await File.ReadAllTextAsync(Path.Combine(folder, KubernetesCommand.CompareFile), cancel);
        return new Manifests(
            configMap, shards, compare,
            KubernetesYaml.Deserialize<V1ConfigMap>(configMap, strict: true),
            KubernetesYaml.Deserialize<V1Job>(shards, strict: true),
            KubernetesYaml.Deserialize<V1Job>(compare, strict: true));
    }

    /// <summary>Every check of every object: the API server's rules, the OpenAPI required fields, the types kubectl sends, and the objects' agreement.</summary>
    private static List<string> Everything(Manifests m) =>
    [
        .. KubernetesValidator.ConfigMap(m.ConfigMap), .. KubernetesValidator.Job(m.Shards), .. KubernetesValidator.Job(m.Compare),
        .. KubernetesValidator.RequiredFields(m.ConfigMap), .. KubernetesValidator.RequiredFields(m.Shards), .. KubernetesValidator.RequiredFields(m.Compare),
        .. KubernetesValidator.Types(m.ConfigMapText, typeof(V1ConfigMap)), .. KubernetesValidator.Types(m.ShardsText, typeof(V1Job)), .. KubernetesValidator.Types(m.CompareText, typeof(V1Job)),
        .. KubernetesValidator.Together(m.ConfigMap, m.Shards, m.Compare),
    ];

    private static string[] Comment(string text) => [.. text.Split('\n').TakeWhile(l => l.StartsWith('#')).Select(l => l.Length > 2 ? l[2..] : string.Empty)];

    private static (string Baseline, string Candidate) RunIds(string output)
    {
        var baseline = BaselineRun().Match(output);
        var candidate = CandidateRun().Match(output);
        Assert.True(baseline.Success && candidate.Success, output);
        return (baseline.Groups[1].Value, candidate.Groups[1].Value);
    }

    [GeneratedRegex(@"baseline run\s+(run-\S+)")]
    private static partial Regex BaselineRun();

    [GeneratedRegex(@"candidate run\s+(run-\S+)")]
    private static partial Regex CandidateRun();

    private sealed record Manifests(string ConfigMapText, string ShardsText, string CompareText, V1ConfigMap ConfigMap, V1Job Shards, V1Job Compare);
}
