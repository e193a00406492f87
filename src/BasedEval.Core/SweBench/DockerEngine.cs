using System.Diagnostics;
using System.Text;
using BasedEval.Core.Scoring.Execution;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace BasedEval.Core.SweBench;

/// <summary>The Docker daemon cannot be reached, or refused to build or run what it was given (exit 4); the message says what to do.</summary>
public sealed class DockerEngineException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>One container: its image, command, bind mounts and limits.</summary>
/// <param name="Binds">host:container[:ro] bind mounts.</param>
/// <param name="HostNetwork">The host's network, only for building images (apt reaches the Debian mirror); otherwise none at all.</param>
/// <param name="MemoryBytes">Memory limit, swap included; 0 is none.</param>
/// <param name="Cpus">CPU limit in cores; 0 is none.</param>
/// <param name="NetworkAdministration">
/// NET_ADMIN inside the container's own (empty) network namespace: the httpbin stand-in routes an unroutable address into loopback.
/// </param>
internal sealed record DockerRun(
    string Image,
    IReadOnlyList<string> Command,
    IReadOnlyList<string> Binds,
    bool HostNetwork = false,
    long MemoryBytes = 0,
    double Cpus = 0,
    IReadOnlyDictionary<string, string>? Environment = null,
    IReadOnlyList<string>? ExtraHosts = null,
    bool NetworkAdministration = false);

/// <summary>
/// The Docker Engine API over its socket (Docker.DotNet): images this tool made carry <see cref="Label"/>, so that
/// <c>--clean</c> finds them; every container it starts is removed when its command ends, is killed at its deadline, or fails.
/// </summary>
internal sealed class DockerEngine : IDisposable
{
    /// <summary>The label on every image this tool builds; its value says which layer (base or environment).</summary>
    public const string Label = "org.basedeval.swebench";

    private readonly DockerClient _client;

    public DockerEngine(string host)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        Host = host;
        using var configuration = new DockerClientConfiguration(new Uri(host), defaultTimeout: TimeSpan.FromMinutes(30));
        _client = configuration.CreateClient();
    }

    public string Host { get; }

    /// <summary>Why the daemon cannot be used, or null when it answers.</summary>
    public async Task<string?> UnreachableReasonAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            var version = await _client.System.GetVersionAsync(deadline.Token);
            return version.APIVersion is null ? $"the daemon at {Host} did not say its API version" : null;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException or DockerApiException or System.Net.Sockets.SocketException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return $"no Docker daemon answers at {Host} ({e.GetBaseException().Message})";
        }
    }

    /// <summary>The id of the image named <paramref name="name"/>, or null when the daemon has none.</summary>
    public async Task<string?> ImageIdAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await _client.Images.InspectImageAsync(name, cancellationToken)).ID;
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Imports a root file system (a tar stream) as the image <paramref name="repository"/>:<paramref name="tag"/>.</summary>
    public async Task ImportAsync(Stream rootFileSystem, string repository, string tag, string layer, CancellationToken cancellationToken)
    {
        var parameters = new ImagesCreateParameters { FromSrc = "-", Repo = repository, Tag = tag, Changes = [$"LABEL {Label}={layer}"] };
        await _client.Images.CreateImageAsync(parameters, rootFileSystem, null, new Dictionary<string, string>(), new Progress<JSONMessage>(), cancellationToken);
    }

    /// <summary>Removes every image that carries <see cref="Label"/>; their names.</summary>
    public async Task<IReadOnlyList<string>> RemoveOwnImagesAsync(CancellationToken cancellationToken)
    {
        var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [Label] = true } };
        var images = await _client.Images.ListImagesAsync(new ImagesListParameters { All = true, Filters = filter }, cancellationToken);
        var removed = new List<string>();

        // Environment images first: an image another one was committed from cannot go before it.
        foreach (var image in images.OrderBy(i => i.Labels is { } labels && labels.TryGetValue(Label, out var layer) && layer == "base"))
        {
            await _client.Images.DeleteImageAsync(image.ID, new ImageDeleteParameters { Force = true }, cancellationToken);
            removed.AddRange(image.RepoTags ?? [image.ID]);
        }

        return removed;
    }

    /// <summary>
    /// Runs <paramref name="run"/> in a new container and removes it; its output (stdout and stderr as one stream) is kept up
    /// to <paramref name="outputBytes"/>, beyond which, or past <paramref name="timeout"/>, the container is killed. With
    /// <paramref name="commitAs"/> a container whose command succeeded becomes that image (labelled with <paramref name="layer"/>).
    /// </summary>
    public async Task<ChildProcessResult> RunAsync(
        DockerRun run, TimeSpan timeout, int outputBytes, CancellationToken cancellationToken, string? commitAs = null, string? layer = null)
    {
        try
        {
            return await RunContainerAsync(run, timeout, outputBytes, commitAs, layer, cancellationToken);
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException)
        {
            throw new DockerEngineException($"the Docker daemon at {Host} failed to run a container of {run.Image}: {e.GetBaseException().Message}", e);
        }
    }

    private async Task<ChildProcessResult> RunContainerAsync(DockerRun run, TimeSpan timeout, int outputBytes, string? commitAs, string? layer, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var created = await _client.Containers.CreateContainerAsync(
            new CreateContainerParameters
            {
                Image = run.Image,
                Cmd = [.. run.Command],
                Env = [.. (run.Environment ?? new Dictionary<string, string>()).Select(e => $"{e.Key}={e.Value}")],
                HostConfig = new HostConfig
                {
                    NetworkMode = run.HostNetwork ? "host" : "none",
                    Binds = [.. run.Binds],
                    ExtraHosts = run.ExtraHosts is null ? null : [.. run.ExtraHosts],
                    Memory = run.MemoryBytes,
                    MemorySwap = run.MemoryBytes > 0 ? run.MemoryBytes : 0,
                    NanoCPUs = (long)(run.Cpus * 1e9),
                    PidsLimit = 4096,
                    CapAdd = run.NetworkAdministration ? ["NET_ADMIN"] : null,
                },
            },
            cancellationToken);
        try
        {
            await _client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            using var overflow = new CancellationTokenSource();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, overflow.Token);
            deadline.CancelAfter(timeout);
            var output = new MemoryStream();
            long? exitCode = null;
            try
            {
                await ReadLogsAsync(created.ID, output, outputBytes, overflow, deadline.Token);
                exitCode = (await _client.Containers.WaitContainerAsync(created.ID, deadline.Token)).StatusCode;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await _client.Containers.KillContainerAsync(created.ID, new ContainerKillParameters(), CancellationToken.None);
            }

            var text = Encoding.UTF8.GetString(output.GetBuffer(), 0, (int)output.Length);
            if (exitCode == 0 && commitAs is not null)
            {
                var (repository, tag) = SplitName(commitAs);
                await _client.Images.CommitContainerChangesAsync(
                    new CommitContainerChangesParameters { ContainerID = created.ID, RepositoryName = repository, Tag = tag, Config = new Docker.DotNet.Models.Config { Labels = new Dictionary<string, string> { [Label] = layer ?? string.Empty } } },
                    cancellationToken);
            }

            return new ChildProcessResult((int?)exitCode, text, TimedOut: exitCode is null && !overflow.IsCancellationRequested, overflow.IsCancellationRequested, stopwatch.Elapsed);
        }
        finally
        {
            await _client.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, CancellationToken.None);
        }
    }

    public void Dispose() => _client.Dispose();

    public static (string Repository, string Tag) SplitName(string name)
    {
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? (name[..colon], name[(colon + 1)..]) : (name, "latest");
    }

    private async Task ReadLogsAsync(string id, MemoryStream output, int outputBytes, CancellationTokenSource overflow, CancellationToken cancellationToken)
    {
        var parameters = new ContainerLogsParameters { Follow = true, ShowStdout = true, ShowStderr = true };
        using var stream = await _client.Containers.GetContainerLogsAsync(id, tty: false, parameters, cancellationToken);
        var buffer = new byte[8192];
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken);
            if (read.EOF)
            {
                return;
            }

            var kept = (int)Math.Min(outputBytes - output.Length, read.Count);
            output.Write(buffer, 0, kept);
            if (kept < read.Count)
            {
                await overflow.CancelAsync();
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }
}
