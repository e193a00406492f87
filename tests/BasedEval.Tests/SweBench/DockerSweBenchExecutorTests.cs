using System.Net;
using BasedEval.Core.Scoring.Execution;
using BasedEval.Core.SweBench;
using BasedEval.Tests.EndToEnd;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace BasedEval.Tests.SweBench;

/// <summary>
/// The Docker back-end against <see cref="SyntheticSweBenchRepository"/> in real containers of a real daemon (see
/// <see cref="DockerDaemon"/>), with the base image built by debootstrap from the Debian mirror apt uses.
/// </summary>
public sealed class DockerSweBenchExecutorTests(DockerDaemon daemon) : IClassFixture<DockerDaemon>, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "basedeval-swebench-docker-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Cleanup.DeleteFolder(_root);

    [Fact]
    public async Task Docker_gold_patch_resolves_wrong_patch_does_not_and_broken_patch_fails_to_apply()
    {
        var instance = SyntheticSweBenchRepository.Create(Path.Combine(_root, "repos"));
        using var executor = await ExecutorAsync(instance);

        var gold = await executor.EvaluateAsync(instance, instance.Patch, TestContext.Current.CancellationToken);
        var unresolved = await executor.EvaluateAsync(instance, SyntheticSweBenchRepository.WrongPatch(instance), TestContext.Current.CancellationToken);
        var failed = await executor.EvaluateAsync(instance, SyntheticSweBenchRepository.BrokenPatch(instance), TestContext.Current.CancellationToken);

        Assert.True(gold.Outcome == SweBenchOutcome.Resolved, gold.Reason + "\n" + gold.Log);
        Assert.Equal(TestStatus.Passed, gold.Tests["tests/test_calc.py::test_add"]);
        Assert.Equal([], gold.FailToPassBefore);
        Assert.Contains("docker run --network none basedeval-swebench-env:", gold.Log, StringComparison.Ordinal);
        Assert.True(unresolved.Outcome == SweBenchOutcome.Unresolved, unresolved.Reason + "\n" + unresolved.Log);
        Assert.Contains("tests/test_calc.py::test_add FAILED", unresolved.Reason, StringComparison.Ordinal);
        // The environment image built for the first evaluation is found by its tag for the next ones.
        Assert.Contains("(built before)", unresolved.Log, StringComparison.Ordinal);
        Assert.Equal(SweBenchOutcome.PatchFailed, failed.Outcome);
    }

    /// <summary>
    /// The test patch adds a test that connects to an address and resolves the Debian mirror's name, and passes only if both
    /// fail; in a container it passes. On this machine the name resolves (apt reaches the mirror), so the test can fail.
    /// </summary>
    [Fact]
    public async Task Docker_container_reaches_no_network_neither_an_address_nor_a_name()
    {
        var instance = SyntheticSweBenchRepository.Create(Path.Combine(_root, "repos"));
        using var executor = await ExecutorAsync(instance);
        var mirror = new Uri(DebianMirrorHost());
        var probe = $$"""
            +
            +
            +def test_no_network():
            +    import socket
            +    try:
            +        socket.create_connection(("{{Dns.GetHostAddresses(mirror.Host).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)}}", {{mirror.Port}}), timeout=10).close()
            +    except OSError as e:
            +        print("connect refused:", e)
            +    else:
            +        raise AssertionError("connected to the mirror from inside the container")
            +    try:
            +        socket.getaddrinfo("{{mirror.Host}}", {{mirror.Port}})
            +    except OSError as e:
            +        print("name not resolved:", e)
            +    else:
            +        raise AssertionError("resolved {{mirror.Host}} from inside the container")

            """.Replace("\r", string.Empty, StringComparison.Ordinal);
        var probed = instance with
        {
            TestPatch = instance.TestPatch.Replace("@@ -3,3 +3,8 @@", "@@ -3,3 +3,24 @@", StringComparison.Ordinal) + probe,
            PassToPass = [.. instance.PassToPass, "tests/test_calc.py::test_no_network"],
        };

        var gold = await executor.EvaluateAsync(probed, instance.Patch, TestContext.Current.CancellationToken);

        Assert.True(gold.Outcome == SweBenchOutcome.Resolved, gold.Reason + "\n" + gold.Log);
        Assert.Equal(TestStatus.Passed, gold.Tests["tests/test_calc.py::test_no_network"]);
    }

    /// <summary>
    /// pytest 7.0's recipe asks for Python 3.9, which is bullseye's; its tests also need tomli, which bullseye lacks, and its
    /// checkout setuptools-scm 6 or later, where bullseye has 5: the environment image carries bookworm's packages for them.
    /// </summary>
    [Fact]
    public async Task Docker_older_python_recipe_runs_python_3_9_with_the_newer_releases_packages()
    {
        var instance = SyntheticSweBenchRepository.Create(Path.Combine(_root, "repos"), repo: "pytest-dev/pytest", version: "7.0");
        using var executor = await ExecutorAsync(instance);
        var probed = SyntheticSweBenchRepository.WithTestLines(
            instance,
            "+    import sys, importlib.metadata, tomli",
            "+    assert sys.version_info[:2] == (3, 9), sys.version",
            "+    assert int(importlib.metadata.version('setuptools_scm').split('.')[0]) >= 6");

        var gold = await executor.EvaluateAsync(probed, instance.Patch, TestContext.Current.CancellationToken);

        Assert.True(gold.Outcome == SweBenchOutcome.Resolved, gold.Reason + "\n" + gold.Log);
        Assert.Contains("platform linux -- Python 3.9", gold.Log, StringComparison.Ordinal);
    }

    /// <summary>
    /// A dependency Debian lacks comes as a wheel in --wheels DIR/owner__name: it is installed into that repository's
    /// environment image, where the tests import it. The wheel is made here byte for byte the same each time, so the image
    /// built for it is found by its tag on later runs instead of piling up in the shared daemon.
    /// </summary>
    [Fact]
    public async Task Docker_wheels_given_for_a_repository_are_installed_in_its_environment_image()
    {
        var instance = SyntheticSweBenchRepository.Create(Path.Combine(_root, "repos"));
        var wheels = Path.Combine(_root, "wheels");
        WriteProbeWheel(Path.Combine(wheels, "acme__calc"));
        using var executor = await ExecutorAsync(instance, wheels);
        var probed = SyntheticSweBenchRepository.WithTestLines(instance, "+    import basedeval_wheel_probe", "+    assert basedeval_wheel_probe.ANSWER == 42");

        var gold = await executor.EvaluateAsync(probed, instance.Patch, TestContext.Current.CancellationToken);

        // Nothing else provides the module, and the image's tag hashes the wheel, so one built by an earlier run holds it too.
        Assert.True(gold.Outcome == SweBenchOutcome.Resolved, gold.Reason + "\n" + gold.Log);
        Assert.Matches("1 wheel\\(s\\)|\\(built before\\)", gold.Log);
    }

    /// <summary>
    /// On a daemon of its own (the shared one keeps the base images other tests and runs reuse): a run with --clean removes the
    /// environment image it built and the base image it was given, both built by this tool, and leaves an image it did not make.
    /// </summary>
    [Fact]
    public async Task Docker_clean_removes_the_images_this_tool_built_and_keeps_any_other()
    {
        var shared = daemon.Require();
        var instance = SyntheticSweBenchRepository.Create(Path.Combine(_root, "repos"));
        await File.WriteAllTextAsync(Path.Combine(_root, "instances.jsonl"), SyntheticSweBenchRepository.Record(instance) + "\n", TestContext.Current.CancellationToken);
        string baseImage;
        using (var sharedEngine = new DockerEngine(shared))
        using (var images = new SweBenchImages(sharedEngine, new DockerSweBenchOptions(Path.Combine(_root, "repos"), shared)))
        {
            baseImage = await images.BaseImageAsync("bookworm", TextWriter.Null, TestContext.Current.CancellationToken);
        }

        await using var own = await DockerDaemon.StartPrivateAsync();
        var host = own.Require();
        using var sharedClient = new DockerClientConfiguration(new Uri(shared)).CreateClient();
        using var ownClient = new DockerClientConfiguration(new Uri(host)).CreateClient();
        await using (var saved = await sharedClient.Images.SaveImageAsync(baseImage, TestContext.Current.CancellationToken))
        {
            await ownClient.Images.LoadImageAsync(new ImageLoadParameters(), saved, new Progress<JSONMessage>(), TestContext.Current.CancellationToken);
        }

        await ownClient.Images.CreateImageAsync(
            new ImagesCreateParameters { FromSrc = "-", Repo = "someone-else", Tag = "kept" }, new MemoryStream(EmptyTar()), null,
            new Dictionary<string, string>(), new Progress<JSONMessage>(), TestContext.Current.CancellationToken);

        var run = await ChildProcess.RunAsync(
            DotnetProcess.StartInfo("basedeval.dll", _root, "swebench", "eval", "--instances", "instances.jsonl", "--gold", "--repos", "repos", "--out", "run",
                "--backend", "docker", "--docker-host", host, "--base-image", baseImage, "--clean"),
            TimeSpan.FromMinutes(10), 1 << 20, TestContext.Current.CancellationToken);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("acme__calc-1 RESOLVED", run.Output, StringComparison.Ordinal);
        var removed = run.Output.Split('\n').Single(l => l.StartsWith("removed ", StringComparison.Ordinal));
        Assert.Contains("basedeval-swebench-env:", removed, StringComparison.Ordinal);
        Assert.Contains(baseImage, removed, StringComparison.Ordinal);
        var left = await ownClient.Images.ListImagesAsync(new ImagesListParameters { All = true }, TestContext.Current.CancellationToken);
        Assert.Equal(["someone-else:kept"], left.SelectMany(i => i.RepoTags ?? []));
        Assert.NotNull(await sharedClient.Images.InspectImageAsync(baseImage, TestContext.Current.CancellationToken));
    }

    /// <summary>A pure-Python wheel of one module, with fixed timestamps: what `pip wheel` makes, without needing pip here.</summary>
    private static void WriteProbeWheel(string folder)
    {
        Directory.CreateDirectory(folder);
        var files = new (string Name, string Text)[]
        {
            ("basedeval_wheel_probe.py", "ANSWER = 42\n"),
            ("basedeval_wheel_probe-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: basedeval-wheel-probe\nVersion: 1.0\n"),
            ("basedeval_wheel_probe-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: basedeval-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
            ("basedeval_wheel_probe-1.0.dist-info/RECORD", "basedeval_wheel_probe.py,,\nbasedeval_wheel_probe-1.0.dist-info/METADATA,,\nbasedeval_wheel_probe-1.0.dist-info/WHEEL,,\nbasedeval_wheel_probe-1.0.dist-info/RECORD,,\n"),
        };
        using var zip = System.IO.Compression.ZipFile.Open(Path.Combine(folder, "basedeval_wheel_probe-1.0-py3-none-any.whl"), System.IO.Compression.ZipArchiveMode.Create);
        foreach (var (name, text) in files)
        {
            var entry = zip.CreateEntry(name);
            entry.LastWriteTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
            using var writer = new StreamWriter(entry.Open());
            writer.Write(text);
        }
    }

    /// <summary>A tar archive of one empty folder: the smallest root file system an image can be imported from.</summary>
    private static byte[] EmptyTar()
    {
        using var buffer = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(buffer, leaveOpen: true))
        {
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.Directory, "empty/"));
        }

        return buffer.ToArray();
    }

    [Fact]
    public async Task Docker_backend_named_without_a_daemon_exits_4_and_names_the_address()
    {
        var instance = SyntheticSweBenchRepository.Create(Path.Combine(_root, "repos"));
        await File.WriteAllTextAsync(Path.Combine(_root, "instances.jsonl"), SyntheticSweBenchRepository.Record(instance) + "\n", TestContext.Current.CancellationToken);
        var socket = Path.Combine(_root, "no-daemon.sock");

        var run = await CliRunner.RunAsync(_root, "swebench", "eval", "--instances", "instances.jsonl", "--gold", "--repos", "repos", "--backend", "docker", "--docker-host", "unix://" + socket);

        Assert.Equal(4, run.ExitCode);
        Assert.Contains($"no Docker daemon answers at unix://{socket}", run.Error, StringComparison.Ordinal);
        Assert.Contains("--backend local", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "reports")));
    }

    /// <summary>The mirror apt uses, with its port; the probe connects to it, so it is an address this machine does reach.</summary>
    private static string DebianMirrorHost()
    {
        var mirror = DebianMirror.FromApt();
        Prerequisite.Require(mirror is not null, "apt names no Debian mirror on this machine");
        var host = new Uri(mirror!).Host;
        Prerequisite.Require(Dns.GetHostAddresses(host).Any(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork), $"{host} does not resolve on this machine, so a container failing to resolve it proves nothing");
        return mirror!;
    }

    private async Task<DockerSweBenchExecutor> ExecutorAsync(SweBenchInstance instance, string? wheels = null)
    {
        var host = daemon.Require();
        Prerequisite.Require(ChildProcess.FindOnPath("git") is not null, "git was not found on PATH");
        var executor = new DockerSweBenchExecutor(new DockerSweBenchOptions(Path.Combine(_root, "repos"), host, Wheels: wheels, TestTimeout: TimeSpan.FromSeconds(120), MemoryBytes: 1L << 30, Cpus: 1));
        await executor.PrepareBaseImagesAsync([instance], TextWriter.Null, TestContext.Current.CancellationToken);
        return executor;
    }
}
