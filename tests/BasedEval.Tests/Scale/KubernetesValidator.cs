using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace BasedEval.Tests.Scale;

/// <summary>
/// What a cluster would refuse in a Job or a ConfigMap, checked without one: the API server's validation of both kinds
/// (k8s.io/kubernetes pkg/apis/batch/validation and pkg/apis/core/validation), the `required` lists of their OpenAPI
/// definitions, and the JSON type each YAML value takes on its way through kubectl. Each error is `path: what is wrong`.
/// The OpenAPI document itself is not in the KubernetesClient package (it carries only the models generated from it,
/// v1.37.0) and cannot be fetched here, so the schema is checked through those models: every key must be a field of the
/// model, every value of the field's type, and the required fields are listed below from the same definitions.
/// </summary>
internal static partial class KubernetesValidator
{
    public static List<string> Job(V1Job job)
    {
        var errors = new List<string>();
        void Fail(string path, string message) => errors.Add($"{path}: {message}");
        if (job.ApiVersion != "batch/v1" || job.Kind != "Job")
        {
            Fail("apiVersion/kind", $"`{job.ApiVersion}`/`{job.Kind}` is not batch/v1 Job");
        }

        Metadata(job.Metadata, "metadata", errors);
        var name = job.Metadata?.Name ?? string.Empty;
        // The job controller labels its pods with the Job's name, and a label value holds at most 63 characters.
        if (name.Length > 63)
        {
            Fail("metadata.name", "a Job's name must be at most 63 characters");
        }

        var spec = job.Spec;
        if (spec is null)
        {
            Fail("spec", "required");
            return errors;
        }

        foreach (var (field, value) in new[] { ("parallelism", spec.Parallelism), ("completions", spec.Completions), ("backoffLimit", spec.BackoffLimit), ("backoffLimitPerIndex", spec.BackoffLimitPerIndex), ("maxFailedIndexes", spec.MaxFailedIndexes), ("ttlSecondsAfterFinished", spec.TtlSecondsAfterFinished) })
        {
            if (value < 0)
            {
                Fail($"spec.{field}", "must be greater than or equal to 0");
            }
        }

        if (spec.ActiveDeadlineSeconds < 0)
        {
            Fail("spec.activeDeadlineSeconds", "must be greater than or equal to 0");
        }

        if (spec.Selector is not null || spec.ManualSelector == true)
        {
            Fail("spec.selector", "left to the Job controller, which generates it");
        }

        var indexed = spec.CompletionMode == "Indexed";
        if (spec.CompletionMode is not null and not "Indexed" and not "NonIndexed")
        {
            Fail("spec.completionMode", $"`{spec.CompletionMode}` is not Indexed or NonIndexed");
        }

        if (indexed)
        {
            if (spec.Completions is null)
            {
                Fail("spec.completions", "required when completion mode is Indexed");
            }

            if (spec.Parallelism > 100_000)
            {
                Fail("spec.parallelism", "must be at most 100000 when completion mode is Indexed");
            }

            if (spec.MaxFailedIndexes > spec.Completions)
            {
                Fail("spec.maxFailedIndexes", "must be at most completions");
            }

            if (spec.Completions > 100_000 && spec.BackoffLimitPerIndex is not null && spec.MaxFailedIndexes is null)
            {
                Fail("spec.maxFailedIndexes", "required when completions is above 100000 with backoffLimitPerIndex");
            }

            // Each pod's hostname is NAME-INDEX, which must itself be a DNS-1123 label.
            if (spec.Completions > 0 && !IsLabel(string.Create(CultureInfo.InvariantCulture, $"{name}-{spec.Completions - 1}")))
            {
                Fail("metadata.name", $"the pod hostname {name}-{spec.Completions - 1} would not be a DNS-1123 label");
            }
        }
        else
        {
            if (spec.BackoffLimitPerIndex is not null)
            {
                Fail("spec.backoffLimitPerIndex", "requires indexed completion mode");
            }

            if (spec.MaxFailedIndexes is not null)
            {
                Fail("spec.maxFailedIndexes", "requires indexed completion mode");
            }
        }

        if (spec.MaxFailedIndexes is not null && spec.BackoffLimitPerIndex is null)
        {
            Fail("spec.backoffLimitPerIndex", "required when maxFailedIndexes is specified");
        }

        var pod = spec.Template?.Spec;
        if (pod is null)
        {
            Fail("spec.template.spec", "required");
            return errors;
        }

        Labels(spec.Template!.Metadata?.Labels, "spec.template.metadata.labels", errors);
        if (pod.RestartPolicy is not "Never" and not "OnFailure")
        {
            Fail("spec.template.spec.restartPolicy", $"`{pod.RestartPolicy}` is not supported for a Job: Never or OnFailure");
        }

        if ((spec.PodFailurePolicy is not null || spec.BackoffLimitPerIndex is not null) && pod.RestartPolicy != "Never")
        {
            Fail("spec.template.spec.restartPolicy", "only Never is supported with podFailurePolicy or backoffLimitPerIndex");
        }

        var containers = (pod.InitContainers ?? []).Concat(pod.Containers ?? []).ToList();
        if (spec.PodFailurePolicy is { } policy)
        {
            FailurePolicy(policy, spec, containers.Select(c => c.Name).ToHashSet(StringComparer.Ordinal), errors);
        }

        Pod(pod, "spec.template.spec", errors);
        return errors;
    }

    public static List<string> ConfigMap(V1ConfigMap map)
    {
        var errors = new List<string>();
        if (map.ApiVersion != "v1" || map.Kind != "ConfigMap")
        {
            errors.Add($"apiVersion/kind: `{map.ApiVersion}`/`{map.Kind}` is not v1 ConfigMap");
        }

        Metadata(map.Metadata, "metadata", errors);
        var data = map.Data ?? new Dictionary<string, string>();
        var binary = map.BinaryData ?? new Dictionary<string, byte[]>();
        foreach (var key in data.Keys.Concat(binary.Keys))
        {
            if (!IsConfigMapKey(key))
            {
                errors.Add($"data[{key}]: a valid config key must consist of alphanumeric characters, '-', '_' or '.'");
            }
        }

        foreach (var key in data.Keys.Intersect(binary.Keys))
        {
            errors.Add($"binaryData[{key}]: duplicate of a key in data");
        }

        var bytes = data.Values.Sum(v => (long)Encoding.UTF8.GetByteCount(v)) + binary.Values.Sum(v => (long)v.Length);
        if (bytes > 1024 * 1024)
        {
            errors.Add($"data: {bytes} bytes, over the 1048576 a ConfigMap may hold");
        }

        return errors;
    }

    /// <summary>What holds between the objects: one namespace, the ConfigMap the pods mount, and every key they mount from it.</summary>
    public static List<string> Together(V1ConfigMap map, params V1Job[] jobs)
    {
        var errors = new List<string>();
        var keys = (map.Data?.Keys ?? []).Concat(map.BinaryData?.Keys ?? []).ToHashSet(StringComparer.Ordinal);
        foreach (var job in jobs)
        {
            if (job.Metadata.NamespaceProperty != map.Metadata.NamespaceProperty)
            {
                errors.Add($"{job.Metadata.Name}.metadata.namespace: not the ConfigMap's");
            }

            var pod = job.Spec.Template.Spec;
            var volumes = pod.Volumes.Where(v => v.ConfigMap is not null).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var volume in pod.Volumes.Where(v => v.ConfigMap is not null && v.ConfigMap.Name != map.Metadata.Name))
            {
                errors.Add($"{job.Metadata.Name}.volumes[{volume.Name}].configMap.name: `{volume.ConfigMap.Name}` is not the ConfigMap written");
            }

            foreach (var mount in (pod.InitContainers ?? []).Concat(pod.Containers).SelectMany(c => c.VolumeMounts ?? []).Where(m => volumes.Contains(m.Name) && m.SubPath is not null))
            {
                if (!keys.Contains(mount.SubPath))
                {
                    errors.Add($"{job.Metadata.Name}.volumeMounts[{mount.MountPath}].subPath: `{mount.SubPath}` is no key of the ConfigMap");
                }
            }
        }

        return errors;
    }

    private static void Metadata(V1ObjectMeta? metadata, string path, List<string> errors)
    {
        if (metadata?.Name is not { Length: > 0 } name)
        {
            errors.Add($"{path}.name: required");
            return;
        }

        if (!IsSubdomain(name))
        {
            errors.Add($"{path}.name: `{name}` is not a DNS-1123 subdomain");
        }

        if (metadata.NamespaceProperty is { } ns && !IsLabel(ns))
        {
            errors.Add($"{path}.namespace: `{ns}` is not a DNS-1123 label");
        }

        Labels(metadata.Labels, $"{path}.labels", errors);
        foreach (var key in metadata.Annotations?.Keys ?? [])
        {
            if (!IsQualifiedName(key))
            {
                errors.Add($"{path}.annotations[{key}]: not a qualified name");
            }
        }

        if (metadata.Annotations?.Sum(a => a.Key.Length + a.Value.Length) > 256 * 1024)
        {
            errors.Add($"{path}.annotations: more than 256 KiB");
        }
    }

    private static void Labels(IDictionary<string, string>? labels, string path, List<string> errors)
    {
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
        {
            if (!IsQualifiedName(key))
            {
                errors.Add($"{path}[{key}]: not a qualified name");
            }

            if (value.Length > 63 || !LabelValue().IsMatch(value))
            {
                errors.Add($"{path}[{key}]: `{value}` is not a label value (at most 63 characters, alphanumeric at both ends)");
            }
        }
    }

    private static void FailurePolicy(V1PodFailurePolicy policy, V1JobSpec spec, HashSet<string> containers, List<string> errors)
    {
        var rules = policy.Rules ?? [];
        if (rules.Count > 20)
        {
            errors.Add("spec.podFailurePolicy.rules: at most 20");
        }

        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var path = string.Create(CultureInfo.InvariantCulture, $"spec.podFailurePolicy.rules[{i}]");
            if (rule.Action is not ("FailJob" or "FailIndex" or "Ignore" or "Count"))
            {
                errors.Add($"{path}.action: `{rule.Action}` is not FailJob, FailIndex, Ignore or Count");
            }

            if (rule.Action == "FailIndex" && spec.BackoffLimitPerIndex is null)
            {
                errors.Add($"{path}.action: FailIndex requires backoffLimitPerIndex");
            }

            if (rule.OnExitCodes is null == (rule.OnPodConditions is not { Count: > 0 }))
            {
                errors.Add($"{path}: exactly one of onExitCodes and onPodConditions");
            }

            if (rule.OnExitCodes is { } codes)
            {
                if (codes.OperatorProperty is not ("In" or "NotIn"))
                {
                    errors.Add($"{path}.onExitCodes.operator: `{codes.OperatorProperty}` is not In or NotIn");
                }

                if (codes.ContainerName is { } container && !containers.Contains(container))
                {
                    errors.Add($"{path}.onExitCodes.containerName: `{container}` is no container of the pod");
                }

                var values = codes.Values ?? [];
                if (values.Count is 0 or > 255)
                {
                    errors.Add($"{path}.onExitCodes.values: from 1 to 255 values");
                }

                if (codes.OperatorProperty == "In" && values.Contains(0))
                {
                    errors.Add($"{path}.onExitCodes.values: must not hold 0 for the In operator");
                }

                if (values.Distinct().Count() != values.Count || !values.SequenceEqual(values.Order()))
                {
                    errors.Add($"{path}.onExitCodes.values: must be unique and ordered");
                }
            }

            foreach (var pattern in rule.OnPodConditions ?? [])
            {
                if (!IsQualifiedName(pattern.Type ?? string.Empty))
                {
                    errors.Add($"{path}.onPodConditions.type: `{pattern.Type}` is not a qualified name");
                }

                if (pattern.Status is not ("True" or "False" or "Unknown"))
                {
                    errors.Add($"{path}.onPodConditions.status: `{pattern.Status}` is not True, False or Unknown");
                }
            }
        }
    }

    private static bool IsLabel(string name) => name.Length <= 63 && DnsLabel().IsMatch(name);

    private static bool IsSubdomain(string name) => name.Length <= 253 && DnsSubdomain().IsMatch(name);

    private static bool IsConfigMapKey(string key) => key.Length <= 253 && ConfigMapKey().IsMatch(key) && key is not "." and not ".." && !key.StartsWith("..", StringComparison.Ordinal);

    private static bool IsRelativePath(string path) => path.Length > 0 && !path.StartsWith('/') && !path.Split('/').Contains("..");

    private static bool IsQualifiedName(string key)
    {
        var parts = key.Split('/');
        return parts.Length switch
        {
            1 => parts[0].Length <= 63 && QualifiedName().IsMatch(parts[0]),
            2 => parts[0].Length > 0 && IsSubdomain(parts[0]) && parts[1].Length <= 63 && QualifiedName().IsMatch(parts[1]),
            _ => false,
        };
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex ConfigMapKey();

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedName();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    [GeneratedRegex("^[-._a-zA-Z][-._a-zA-Z0-9]*$")]
    private static partial Regex EnvironmentName();

    [GeneratedRegex(@"^[+-]?([0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")]
    private static partial Regex QuantityForm();

    // strconv.ParseInt(s, 0, 64) and ParseUint, after go-yaml removed the underscores; 0b also by go-yaml itself.
    [GeneratedRegex("^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")]
    private static partial Regex GoInteger();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex YamlFloat();
}
