using System.Globalization;
using BasedEval.Core.Gating;
using BasedEval.Core.Running;
using k8s.Models;

namespace BasedEval.Cli.Commands;

/// <summary>A file the pods read, put in the ConfigMap under <see cref="Key"/> and mounted at <see cref="RelativePath"/> under the workspace, as it lies under evals.yaml's folder.</summary>
internal sealed record ConfigFile(string Key, string RelativePath, byte[] Content);

/// <summary>The Secret key the pods' <see cref="Variable"/> is filled from: the NAME of `store: env:NAME`, or PGPASSWORD for an address in evals.yaml.</summary>
internal sealed record StoreSecret(string Name, string Key, string Variable);

/// <summary>What the manifests of `basedeval k8s` are made from; every value has been checked.</summary>
/// <param name="Selection">The arguments that pick the comparison, as `compare` takes them.</param>
/// <param name="Files">evals.yaml first, then the suite files, each once.</param>
internal sealed record KubernetesJob(ShardedComparison Plan, IReadOnlyList<string> Selection, int? Limit, string Image, IReadOnlyList<ConfigFile> Files)
{
    public string BaseName { get; } = KubernetesText.BaseName(Plan.Name);

    public string ShardsName => $"{BaseName}-shards";

    public string CompareName => $"{BaseName}-compare";

    public int Parallelism { get; init; } = Plan.ShardCount;

    public string? Namespace { get; init; }

    public string ConfigMapName { get; init; } = $"{KubernetesText.BaseName(Plan.Name)}-config";

    public StoreSecret? Store { get; init; }

    /// <summary>The Secret whose every key becomes a variable of the shard pods: the targets' API keys.</summary>
    public string? KeySecret { get; init; }

    public string Cpu { get; init; } = "2";

    public string Memory { get; init; } = "4Gi";
}

/// <summary>
/// The three objects `basedeval k8s` writes, as the typed models of the Kubernetes API: the ConfigMap with evals.yaml and
/// the suites, the Indexed Job whose pod I runs shard I of both models, and the Job that compares the two runs by id.
/// </summary>
internal static class KubernetesManifests
{
    /// <summary>The pods' working folder, an emptyDir: evals.yaml and the suites are mounted into it as they lie beside each other, and reports are written there.</summary>
    public const string Workspace = "/workspace";

    /// <summary>Tries of one shard beyond its first, each in a new pod that resumes the shard's own part (Kubernetes 1.29 or later).</summary>
    public const int RetriesPerShard = 2;

    /// <summary>Tries of the comparison beyond its first, for a store that was briefly out of reach (exit 4).</summary>
    public const int CompareRetries = 2;

    private const string Basedeval = "basedeval";
    private const string WorkspaceVolume = "workspace";
    private const string ConfigVolume = "config";

    public static V1ConfigMap ConfigMap(KubernetesJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var text = job.Files.Where(f => AsText(f.Content) is not null).ToDictionary(f => f.Key, f => AsText(f.Content)!, StringComparer.Ordinal);
        var binary = job.Files.Where(f => AsText(f.Content) is null).ToDictionary(f => f.Key, f => f.Content, StringComparer.Ordinal);
        return new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = Metadata(job, job.ConfigMapName, "config", annotations: null),
            Data = text.Count > 0 ? text : null,
            BinaryData = binary.Count > 0 ? binary : null,
        };
    }

    public static V1Job Shards(KubernetesJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var plan = job.Plan;
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = Metadata(job, job.ShardsName, "shards", Runs(plan)),
            Spec = new V1JobSpec
            {
                CompletionMode = "Indexed",
                Completions = plan.ShardCount,
                Parallelism = job.Parallelism,
                // A failed shard is tried again alone; the others keep what they finished.
                BackoffLimitPerIndex = RetriesPerShard,
                PodFailurePolicy = FailurePolicy([ExitCodes.InvalidInput]),
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Labels(job, "shards") },
                    // The baseline's part as the init container, so the candidate's starts only once it succeeded: one
                    // model at a time, as `compare` runs them, never slowing each other down. Both see JOB_COMPLETION_INDEX.
                    Spec = Pod(
                        job,
                        [Container(job, "baseline", RunArguments(job, plan.Baseline), plan.ShardCount, keys: true)],
                        Container(job, "candidate", RunArguments(job, plan.Candidate), plan.ShardCount, keys: true)),
                },
            },
        };
    }

    public static V1Job Compare(KubernetesJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var plan = job.Plan;
        List<string> arguments = ["compare", "--config", job.Files[0].RelativePath, .. job.Selection, "--baseline-run", plan.BaselineRunId, "--candidate-run", plan.CandidateRunId];
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = Metadata(job, job.CompareName, "compare", Runs(plan)),
            Spec = new V1JobSpec
            {
                BackoffLimit = CompareRetries,
                // FAIL and INCONCLUSIVE are verdicts and bad input stays bad: another try would decide the same.
                PodFailurePolicy = FailurePolicy([ExitCodes.Fail, ExitCodes.InvalidInput, ExitCodes.Inconclusive]),
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Labels(job, "compare") },
                    // The comparison reads the store only: no API keys.
                    Spec = Pod(job, [], Container(job, "compare", arguments, shardCount: null, keys: false)),
                },
            },
        };
    }

    /// <summary>The file as text where a YAML string carries it unchanged (UTF-8 without a byte order mark, no carriage return or other control character but tab); else null, and it goes in binaryData.</summary>
    public static string? AsText(byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }

        return text.Any(ch => (char.IsControl(ch) && ch is not '\n' and not '\t') || ch == '\uFEFF') ? null : text;
    }

    private static List<string> RunArguments(KubernetesJob job, string target)
    {
        // No --shard: each pod's comes from JOB_COMPLETION_INDEX with BASEDEVAL_SHARD_COUNT, so one template serves all.
        List<string> arguments = ["run", "--config", job.Files[0].RelativePath, "--target", target];
        foreach (var suite in job.Plan.Suites)
        {
            arguments.AddRange(["--suite", suite]);
        }

        if (job.Limit is { } limit)
        {
            arguments.AddRange(["--limit", limit.ToString(CultureInfo.InvariantCulture)]);
        }

        return arguments;
    }

    private static V1PodSpec Pod(KubernetesJob job, IList<V1Container> init, V1Container main) => new()
    {
        RestartPolicy = "Never",
        // basedeval never talks to the Kubernetes API.
        AutomountServiceAccountToken = false,
        InitContainers = init.Count > 0 ? init : null,
        Containers = [main],
        Volumes =
        [
            new V1Volume { Name = WorkspaceVolume, EmptyDir = new V1EmptyDirVolumeSource() },
            new V1Volume { Name = ConfigVolume, ConfigMap = new V1ConfigMapVolumeSource { Name = job.ConfigMapName } },
        ],
    };

    private static V1Container Container(KubernetesJob job, string name, IList<string> arguments, int? shardCount, bool keys)
    {
        var env = new List<V1EnvVar>();
        if (shardCount is { } count)
        {
            // JOB_COMPLETION_INDEX gives a pod its index but not the completions: with this, basedeval reads its shard.
            env.Add(new V1EnvVar { Name = ShardSpec.ShardCountVariable, Value = count.ToString(CultureInfo.InvariantCulture) });
        }

        if (job.Store is { } store)
        {
            env.Add(new V1EnvVar { Name = store.Variable, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = store.Name, Key = store.Key } } });
        }

        List<V1VolumeMount> mounts = [new V1VolumeMount { Name = WorkspaceVolume, MountPath = Workspace }];
        // Each file on its own (subPath) inside the writable workspace: a ConfigMap volume is read-only, and evals.yaml's
        // folder is where reports/ and .basedeval/ are made.
        mounts.AddRange(job.Files.Select(f => new V1VolumeMount { Name = ConfigVolume, MountPath = $"{Workspace}/{f.RelativePath}", SubPath = f.Key, ReadOnlyProperty = true }));
        return new V1Container
        {
            Name = name,
            Image = job.Image,
            Command = [Basedeval],
            Args = arguments,
            WorkingDir = Workspace,
            Env = env.Count > 0 ? env : null,
            EnvFrom = keys && job.KeySecret is { } secret ? [new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = secret } }] : null,
            Resources = new V1ResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal) { ["cpu"] = new(job.Cpu), ["memory"] = new(job.Memory) },
                // No CPU limit: CFS throttling would land in the latencies this pod measures. Memory is capped at what was asked.
                Limits = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal) { ["memory"] = new(job.Memory) },
            },
            VolumeMounts = mounts,
            // `kubectl describe` then shows the end of the log of a pod that failed.
            TerminationMessagePolicy = "FallbackToLogsOnError",
        };
    }

    /// <summary>Exit codes after which the Job fails at once, and pods evicted or preempted not counted as failures.</summary>
    private static V1PodFailurePolicy FailurePolicy(IList<int> final) => new()
    {
        Rules =
        [
            new V1PodFailurePolicyRule { Action = "FailJob", OnExitCodes = new V1PodFailurePolicyOnExitCodesRequirement { OperatorProperty = "In", Values = final } },
            new V1PodFailurePolicyRule { Action = "Ignore", OnPodConditions = [new V1PodFailurePolicyOnPodConditionsPattern { Type = "DisruptionTarget", Status = "True" }] },
        ],
    };

    private static V1ObjectMeta Metadata(KubernetesJob job, string name, string component, IDictionary<string, string>? annotations) => new()
    {
        Name = name,
        NamespaceProperty = job.Namespace,
        Labels = Labels(job, component),
        Annotations = annotations,
    };

    private static Dictionary<string, string> Labels(KubernetesJob job, string component) => new(StringComparer.Ordinal)
    {
        ["app.kubernetes.io/name"] = Basedeval,
        ["app.kubernetes.io/instance"] = job.BaseName,
        ["app.kubernetes.io/component"] = component,
    };

    /// <summary>The comparison's name as written in evals.yaml and the two run ids, for whoever reads the Job later.</summary>
    private static Dictionary<string, string> Runs(ShardedComparison plan) => new(StringComparer.Ordinal)
    {
        ["basedeval/comparison"] = plan.Name,
        ["basedeval/baseline-run"] = plan.BaselineRunId,
        ["basedeval/candidate-run"] = plan.CandidateRunId,
    };
}
