using System.Diagnostics;
using BasedEval.Tests.EndToEnd;
using k8s.Models;

namespace BasedEval.Tests.Scale;

/// <summary>A container that ran, and how it ended.</summary>
internal sealed record ContainerRun(string Name, int ExitCode, string Output);

/// <summary>
/// Starts a pod of a manifest the way a kubelet would, as processes on this machine: its volumes laid out in a folder of
/// its own (an emptyDir, files of the ConfigMap at their subPaths), its variables made from the manifest and the Secrets,
/// JOB_COMPLETION_INDEX added as the Job controller adds it, then its init containers one after another and its container,
/// each running `basedeval` with the manifest's arguments. No Kubernetes runs here; this is what the manifests ask of one.
/// </summary>
internal sealed class KubernetesPods(string root, V1ConfigMap configMap, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> secrets)
{
    /// <summary>What the pod's containers did, in order; the pod stops at the first that fails, as restartPolicy Never does.</summary>
    public async Task<(string Folder, List<ContainerRun> Containers)> RunAsync(V1PodSpec pod, int? completionIndex, CancellationToken cancellationToken)
    {
        Assert.Equal("Never", pod.RestartPolicy);
        var folder = Directory.CreateDirectory(Path.Combine(root, $"pod-{Guid.NewGuid():N}")).FullName;
        var runs = new List<ContainerRun>();
        foreach (var container in (pod.InitContainers ?? []).Concat(pod.Containers))
        {
            Materialize(pod, container, folder);
            Assert.Equal(["basedeval"], container.Command);
            var info = DotnetProcess.StartInfo("basedeval.dll", folder, [.. container.Args]);
            Variables(info, container, completionIndex);
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            runs.Add(new ContainerRun(container.Name, process.ExitCode, await output + await error));
            if (process.ExitCode != 0)
            {
                break;
            }
        }

        return (folder, runs);
    }

    /// <summary>The container's mounts, which must all lie under its working folder: that folder is the pod's own here.</summary>
    private void Materialize(V1PodSpec pod, V1Container container, string folder)
    {
        var workingDir = container.WorkingDir.TrimEnd('/');
        foreach (var mount in container.VolumeMounts)
        {
            var volume = Assert.Single(pod.Volumes, v => v.Name == mount.Name);
            Assert.True(mount.MountPath == workingDir || mount.MountPath.StartsWith(workingDir + "/", StringComparison.Ordinal), $"{mount.MountPath} is outside {workingDir}");
            var local = Path.Combine(folder, mount.MountPath[workingDir.Length..].TrimStart('/'));
            if (volume.EmptyDir is not null)
            {
                Directory.CreateDirectory(local);
                continue;
            }

            Assert.Equal(configMap.Metadata.Name, volume.ConfigMap.Name);
            Assert.NotNull(mount.SubPath);
            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
            if (configMap.Data?.TryGetValue(mount.SubPath, out var text) == true)
            {
                File.WriteAllText(local, text);
            }
            else
            {
                File.WriteAllBytes(local, configMap.BinaryData[mount.SubPath]);
            }
        }
    }

    private void Variables(ProcessStartInfo info, V1Container container, int? completionIndex)
    {
        // Nothing of this machine's own sharding or store may reach the pod.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("BASEDEVAL_", StringComparison.Ordinal) || k.StartsWith("SLURM_", StringComparison.Ordinal) || k is "JOB_COMPLETION_INDEX" or "PGPASSWORD").ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var source in container.EnvFrom ?? [])
        {
            foreach (var (key, value) in Secret(source.SecretRef.Name))
            {
                info.Environment[key] = value;
            }
        }

        foreach (var variable in container.Env ?? [])
        {
            info.Environment[variable.Name] = variable.ValueFrom?.SecretKeyRef is { } reference
                ? Secret(reference.Name).TryGetValue(reference.Key, out var value) ? value : throw new InvalidOperationException($"CreateContainerConfigError: couldn't find key {reference.Key} in Secret {reference.Name}")
                : variable.Value;
        }

        if (completionIndex is { } index)
        {
            info.Environment["JOB_COMPLETION_INDEX"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private IReadOnlyDictionary<string, string> Secret(string name) =>
        secrets.TryGetValue(name, out var secret) ? secret : throw new InvalidOperationException($"CreateContainerConfigError: secret \"{name}\" not found");
}
