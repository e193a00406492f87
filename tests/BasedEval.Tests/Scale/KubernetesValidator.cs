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
    /// <summary>The `required` lists of the OpenAPI definitions the manifests use (io.k8s.api.batch.v1.*, io.k8s.api.core.v1.*).</summary>
    private static readonly Dictionary<Type, string[]> Required = new()
    {
        [typeof(V1JobSpec)] = ["template"],
        [typeof(V1PodSpec)] = ["containers"],
        [typeof(V1Container)] = ["name"],
        [typeof(V1EnvVar)] = ["name"],
        [typeof(V1SecretKeySelector)] = ["key"],
        [typeof(V1ConfigMapKeySelector)] = ["key"],
        [typeof(V1ObjectFieldSelector)] = ["fieldPath"],
        [typeof(V1Volume)] = ["name"],
        [typeof(V1VolumeMount)] = ["name", "mountPath"],
        [typeof(V1KeyToPath)] = ["key", "path"],
        [typeof(V1PodFailurePolicy)] = ["rules"],
        [typeof(V1PodFailurePolicyRule)] = ["action"],
        [typeof(V1PodFailurePolicyOnExitCodesRequirement)] = ["operator", "values"],
        [typeof(V1PodFailurePolicyOnPodConditionsPattern)] = ["type", "status"],
    };

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

    /// <summary>Every field an OpenAPI definition lists as required is set, anywhere in the object.</summary>
    public static List<string> RequiredFields(object manifest)
    {
        var errors = new List<string>();
        Walk(manifest, manifest.GetType().Name, errors);
        return errors;
    }

    /// <summary>
    /// The YAML as kubectl reads it (YAML 1.1, as go-yaml v2 resolves plain scalars) against the fields and types of the
    /// model <paramref name="model"/>: an unknown key or a value of another JSON type is what the API server refuses.
    /// </summary>
    public static List<string> Types(string yaml, Type model)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var errors = new List<string>();
        if (stream.Documents.Count != 1)
        {
            errors.Add($"$: {stream.Documents.Count} documents, not 1");
            return errors;
        }

        Typed(stream.Documents[0].RootNode, model, "$", errors);
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

    private static void Pod(V1PodSpec pod, string path, List<string> errors)
    {
        if (pod.Containers is not { Count: > 0 })
        {
            errors.Add($"{path}.containers: at least one");
        }

        var volumes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var volume in pod.Volumes ?? [])
        {
            var at = $"{path}.volumes[{volume.Name}]";
            if (!IsLabel(volume.Name ?? string.Empty) || !volumes.Add(volume.Name!))
            {
                errors.Add($"{at}.name: not a DNS-1123 label, or not unique");
            }

            var sources = new object?[] { volume.EmptyDir, volume.ConfigMap, volume.Secret, volume.PersistentVolumeClaim, volume.HostPath }.Count(s => s is not null);
            if (sources != 1)
            {
                errors.Add($"{at}: exactly one volume source");
            }

            if (volume.ConfigMap is { } configMap)
            {
                if (!IsSubdomain(configMap.Name ?? string.Empty))
                {
                    errors.Add($"{at}.configMap.name: required, a DNS-1123 subdomain");
                }

                foreach (var item in configMap.Items ?? [])
                {
                    if (!IsConfigMapKey(item.Key) || !IsRelativePath(item.Path))
                    {
                        errors.Add($"{at}.configMap.items[{item.Key}]: a valid key and a relative path without '..'");
                    }
                }
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (container, kind) in (pod.InitContainers ?? []).Select(c => (c, "initContainers")).Concat((pod.Containers ?? []).Select(c => (c, "containers"))))
        {
            var at = $"{path}.{kind}[{container.Name}]";
            if (!IsLabel(container.Name ?? string.Empty) || !names.Add(container.Name!))
            {
                errors.Add($"{at}.name: not a DNS-1123 label, or not unique among the pod's containers");
            }

            if (container.Image is not { Length: > 0 } image || image != image.Trim())
            {
                errors.Add($"{at}.image: required, without surrounding spaces");
            }

            if (container.TerminationMessagePolicy is not (null or "File" or "FallbackToLogsOnError"))
            {
                errors.Add($"{at}.terminationMessagePolicy: `{container.TerminationMessagePolicy}` is not File or FallbackToLogsOnError");
            }

            Variables(container, at, errors);
            Mounts(container, volumes, at, errors);
            Resources(container.Resources, $"{at}.resources", errors);
        }
    }

    private static void Variables(V1Container container, string at, List<string> errors)
    {
        foreach (var variable in container.Env ?? [])
        {
            var where = $"{at}.env[{variable.Name}]";
            if (!EnvironmentName().IsMatch(variable.Name ?? string.Empty))
            {
                errors.Add($"{where}.name: not a valid environment variable name");
            }

            // The Job controller adds it to every container of an Indexed Job's pod, unless one already names it.
            if (variable.Name == "JOB_COMPLETION_INDEX")
            {
                errors.Add($"{where}: set by the Job controller, not the manifest");
            }

            if (variable.Value is not null && variable.ValueFrom is not null)
            {
                errors.Add($"{where}: value and valueFrom together");
            }

            if (variable.ValueFrom is { } from)
            {
                if (new object?[] { from.SecretKeyRef, from.ConfigMapKeyRef, from.FieldRef, from.ResourceFieldRef }.Count(s => s is not null) != 1)
                {
                    errors.Add($"{where}.valueFrom: exactly one source");
                }

                if (from.SecretKeyRef is { } secret && (!IsSubdomain(secret.Name ?? string.Empty) || !IsConfigMapKey(secret.Key ?? string.Empty)))
                {
                    errors.Add($"{where}.valueFrom.secretKeyRef: a Secret's name and a valid key are both required (`{secret.Name}`, `{secret.Key}`)");
                }
            }
        }

        foreach (var source in container.EnvFrom ?? [])
        {
            var name = source.SecretRef?.Name ?? source.ConfigMapRef?.Name;
            if ((source.SecretRef is null) == (source.ConfigMapRef is null) || !IsSubdomain(name ?? string.Empty))
            {
                errors.Add($"{at}.envFrom: exactly one of secretRef and configMapRef, with a name (`{name}`)");
            }

            if (source.Prefix is { } prefix && !EnvironmentName().IsMatch(prefix))
            {
                errors.Add($"{at}.envFrom.prefix: not a valid environment variable name");
            }
        }
    }

    private static void Mounts(V1Container container, HashSet<string> volumes, string at, List<string> errors)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mount in container.VolumeMounts ?? [])
        {
            var where = $"{at}.volumeMounts[{mount.MountPath}]";
            if (!volumes.Contains(mount.Name ?? string.Empty))
            {
                errors.Add($"{where}.name: `{mount.Name}` is no volume of the pod");
            }

            if (mount.MountPath is not { Length: > 0 } path || !path.StartsWith('/') || path.Split('/').Contains("..") || !paths.Add(path))
            {
                errors.Add($"{where}.mountPath: required, absolute, without '..', and unique in the container");
            }

            if (mount.SubPath is { } subPath && !IsRelativePath(subPath))
            {
                errors.Add($"{where}.subPath: a relative path without '..'");
            }

            if (mount.SubPath is not null && mount.SubPathExpr is not null)
            {
                errors.Add($"{where}: subPath and subPathExpr together");
            }
        }
    }

    private static void Resources(V1ResourceRequirements? resources, string at, List<string> errors)
    {
        foreach (var (kind, quantities) in new[] { ("requests", resources?.Requests), ("limits", resources?.Limits) })
        {
            foreach (var (name, quantity) in quantities ?? new Dictionary<string, ResourceQuantity>())
            {
                if (name is not ("cpu" or "memory" or "ephemeral-storage") && !name.Contains('/', StringComparison.Ordinal))
                {
                    errors.Add($"{at}.{kind}[{name}]: not a standard resource");
                }

                if (!QuantityForm().IsMatch(quantity.ToString()))
                {
                    errors.Add($"{at}.{kind}[{name}]: `{quantity}` is not a quantity");
                }
            }
        }

        foreach (var (name, request) in resources?.Requests ?? new Dictionary<string, ResourceQuantity>())
        {
            if (resources!.Limits?.TryGetValue(name, out var limit) == true && request.ToDecimal() > limit.ToDecimal())
            {
                errors.Add($"{at}.requests[{name}]: must be less than or equal to its limit");
            }
        }
    }

    private static void Walk(object value, string path, List<string> errors)
    {
        var type = value.GetType();
        if (type.Namespace != typeof(V1Job).Namespace || type == typeof(ResourceQuantity))
        {
            return;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var json = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
            if (json is null)
            {
                continue;
            }

            var field = property.GetValue(value);
            if (field is null || field is string { Length: 0 } || field is ICollection { Count: 0 })
            {
                if (Required.TryGetValue(type, out var required) && required.Contains(json))
                {
                    errors.Add($"{path}.{json}: required by the OpenAPI definition of {type.Name}");
                }

                continue;
            }

            switch (field)
            {
                case string:
                    break;
                case IDictionary dictionary:
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        if (entry.Value is not null)
                        {
                            Walk(entry.Value, $"{path}.{json}[{entry.Key}]", errors);
                        }
                    }

                    break;
                case IEnumerable items:
                    var i = 0;
                    foreach (var item in items)
                    {
                        Walk(item, string.Create(CultureInfo.InvariantCulture, $"{path}.{json}[{i++}]"), errors);
                    }

                    break;
                default:
                    Walk(field, $"{path}.{json}", errors);
                    break;
            }
        }
    }

    private static void Typed(YamlNode node, Type type, string path, List<string> errors)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string) || type == typeof(byte[]) || type == typeof(int) || type == typeof(long) || type == typeof(bool) || type == typeof(ResourceQuantity) || type == typeof(IntOrString))
        {
            if (node is not YamlScalarNode scalar)
            {
                errors.Add($"{path}: a {node.NodeType}, where the schema has a {type.Name}");
                return;
            }

            var read = Yaml11(scalar);
            var expected = type == typeof(int) || type == typeof(long) ? ["int"]
                : type == typeof(bool) ? ["bool"]
                : type == typeof(ResourceQuantity) ? ["str", "int", "float"]
                : type == typeof(IntOrString) ? ["str", "int"]
                : new[] { "str" };
            if (!expected.Contains(read))
            {
                errors.Add($"{path}: `{scalar.Value}` reads as {read} in YAML 1.1, where the schema has a {type.Name}");
            }

            return;
        }

        var dictionary = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>) ? type.GetGenericArguments()[1] : null;
        if (dictionary is not null)
        {
            if (node is not YamlMappingNode map)
            {
                errors.Add($"{path}: a {node.NodeType}, where the schema has a map");
                return;
            }

            foreach (var (key, value) in map.Children)
            {
                if (key is not YamlScalarNode k || Yaml11(k) != "str")
                {
                    errors.Add($"{path}: the key `{key}` is not read as a string in YAML 1.1");
                }

                Typed(value, dictionary, $"{path}[{key}]", errors);
            }

            return;
        }

        var element = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IList<>) ? type.GetGenericArguments()[0] : null;
        if (element is not null)
        {
            if (node is not YamlSequenceNode sequence)
            {
                errors.Add($"{path}: a {node.NodeType}, where the schema has a list");
                return;
            }

            for (var i = 0; i < sequence.Children.Count; i++)
            {
                Typed(sequence.Children[i], element, string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), errors);
            }

            return;
        }

        if (node is not YamlMappingNode fields)
        {
            errors.Add($"{path}: a {node.NodeType}, where the schema has the object {type.Name}");
            return;
        }

        var properties = type.GetProperties().Where(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)
            .ToDictionary(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name, p => p.PropertyType, StringComparer.Ordinal);
        foreach (var (key, value) in fields.Children)
        {
            var name = ((YamlScalarNode)key).Value ?? string.Empty;
            if (!properties.TryGetValue(name, out var field))
            {
                errors.Add($"{path}.{name}: unknown field of {type.Name}");
                continue;
            }

            Typed(value, field, $"{path}.{name}", errors);
        }
    }

    /// <summary>The type go-yaml v2 resolves a scalar to, which is what kubectl's YAML-to-JSON gives the API server.</summary>
    private static string Yaml11(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? string.Empty;
        if (scalar.Style != YamlDotNet.Core.ScalarStyle.Plain)
        {
            return "str";
        }

        if (value.Length == 0 || value is "~" or "null" or "Null" or "NULL")
        {
            return "null";
        }

        if (value is "y" or "Y" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "true" or "True" or "TRUE"
            or "n" or "N" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "false" or "False" or "FALSE")
        {
            return "bool";
        }

        if (value is ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN")
        {
            return "float";
        }

        if (value[0] == '.')
        {
            return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? "float" : "str";
        }

        if (!char.IsAsciiDigit(value[0]) && value[0] is not '+' and not '-')
        {
            return "str";
        }

        var plain = value.Replace("_", string.Empty, StringComparison.Ordinal);
        if (GoInteger().IsMatch(plain))
        {
            return "int";
        }

        return YamlFloat().IsMatch(plain) ? "float" : "str";
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
