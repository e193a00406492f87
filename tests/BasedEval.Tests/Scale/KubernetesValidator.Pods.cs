using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace BasedEval.Tests.Scale;
/// <summary>The pod half of the validator: containers, their variables, mounts and resources, as the core API checks them.</summary>
internal static partial class KubernetesValidator
{
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
}
