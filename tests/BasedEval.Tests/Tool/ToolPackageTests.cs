using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Xml.Linq;
using BasedEval.Core.Gating;
using BasedEval.Tests.LlamaCpp;

namespace BasedEval.Tests.Tool;

/// <summary>
/// The .NET tool as a user gets it: packed, installed from a folder feed alone (no other NuGet source, so offline), then
/// `init` and `compare` run by the installed command in an empty folder, far from the repository and its build output.
/// </summary>
public class ToolPackageTests
{
    private const string NativesFolder = "runtimes/linux-x64/native/llama";
    private const string NativesInPackage = $"tools/net10.0/any/{NativesFolder}/";

    [Fact]
    public async Task The_packed_Tool_installs_from_a_folder_feed_and_its_init_then_compare_reach_a_verdict_with_every_report()
    {
        Prerequisite.Require(RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && RuntimeInformation.OSArchitecture == Architecture.X64, "the tool package carries llama.cpp natives for linux-x64 only");
        var cancel = TestContext.Current.CancellationToken;
        var root = Directory.CreateTempSubdirectory("basedeval-tool-").FullName;
        try
        {
            var feed = Path.Combine(root, "feed");
            // The build this test runs in already compiled the tool; packing it again would only rebuild the same bytes.
            var pack = await RunAsync(SyntheticModels.RepositoryRoot, "dotnet", null, cancel, "pack", "src/BasedEval.Cli", "-c", BuildConfiguration(), "--no-build", "-o", feed);
            Assert.True(pack.ExitCode == 0, pack.Log);
            var package = Assert.Single(Directory.GetFiles(feed, "basedeval.*.nupkg"));
            // Every llama.cpp library the build placed beside its binaries, this test's own included, travels in the package.
            var natives = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, NativesFolder)).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.Contains(natives, n => n!.StartsWith("libllama.", StringComparison.Ordinal));
            using (var zip = ZipFile.OpenRead(package))
            {
                Assert.Equal(natives, zip.Entries.Where(e => e.FullName.StartsWith(NativesInPackage, StringComparison.Ordinal)).Select(e => e.Name).Order(StringComparer.Ordinal));
            }

            var tools = Path.Combine(root, "tools");
            var packages = Path.Combine(root, "nuget-packages");
            var config = Path.Combine(root, "nuget.config");
            await File.WriteAllTextAsync(config, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources><clear /><add key="feed" value="{feed}" /></packageSources>
                </configuration>
                """, cancel);
            var install = await RunAsync(root, "dotnet", packages, cancel, "tool", "install", "basedeval", "--tool-path", tools, "--configfile", config, "--add-source", feed, "--version", Core.Running.Evaluation.ToolVersion);
            Assert.True(install.ExitCode == 0, install.Log);
            var installed = Path.Combine(tools, "basedeval");

            var work = Path.Combine(root, "work");
            Directory.CreateDirectory(work);
            var init = await RunAsync(work, installed, packages, cancel, "init");
            Assert.True(init.ExitCode == 0, init.Log);
            Assert.Equal(File.ReadAllText(Path.Combine(SyntheticModels.RepositoryRoot, "evals.yaml")), File.ReadAllText(Path.Combine(work, "evals.yaml")));

            var compare = await RunAsync(work, installed, packages, cancel, "compare");
            Assert.True(compare.ExitCode is ExitCodes.Pass or ExitCodes.Fail or ExitCodes.Inconclusive, compare.Log);
            Assert.Contains("natives from " + tools, compare.Log, StringComparison.Ordinal);
            var report = Assert.Single(Directory.GetDirectories(Path.Combine(work, "reports")));
            AssertReportsAgree(report, compare.ExitCode);
        }
        finally
        {
            Cleanup.DeleteFolder(root);
        }
    }

    private static void AssertReportsAgree(string report, int exitCode)
    {
        Assert.True(File.Exists(Path.Combine(report, "report.html")));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "comparison.json")));
        var verdict = json.RootElement.GetProperty("verdict").GetString()!;
        Assert.Equal(exitCode, json.RootElement.GetProperty("exit_code").GetInt32());
        Assert.Equal(exitCode, verdict switch { "PASS" => ExitCodes.Pass, "FAIL" => ExitCodes.Fail, "INCONCLUSIVE" => ExitCodes.Inconclusive, _ => -1 });
        var summary = File.ReadAllText(Path.Combine(report, "summary.md"));
        Assert.Contains($"verdict: **{verdict}**", summary, StringComparison.Ordinal);
        // The charts beside summary.md are drawn by SkiaSharp's native library, which must travel in the package too.
        var charts = Directory.GetFiles(report, "chart-*.png");
        Assert.NotEmpty(charts);
        Assert.All(charts, chart => Assert.Contains($"({Path.GetFileName(chart)})", summary, StringComparison.Ordinal));
        var properties = XDocument.Load(Path.Combine(report, "junit.xml")).Descendants("property").ToDictionary(p => (string)p.Attribute("name")!, p => (string)p.Attribute("value")!, StringComparer.Ordinal);
        Assert.Equal(verdict, properties["verdict"]);
        Assert.Equal(exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture), properties["exit_code"]);
    }

    /// <summary>Debug or Release: the configuration the test assembly, and so the tool beside it, was built in.</summary>
    private static string BuildConfiguration() => typeof(ToolPackageTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

    /// <summary>
    /// A child with no override of where llama.cpp loads from, so the tool's own natives must load; given
    /// <paramref name="nugetPackages"/>, a NuGet cache of its own, so a package of the same version that an earlier run
    /// installed is never taken instead of this one.
    /// </summary>
    private static async Task<(int ExitCode, string Log)> RunAsync(string directory, string program, string? nugetPackages, CancellationToken cancellationToken, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (nugetPackages is not null)
        {
            info.Environment["NUGET_PACKAGES"] = nugetPackages;
        }

        // No MSBuild node, build server or compiler server may outlive the command: one started here inherits the output
        // pipes and holds them open, and reading them to the end waited for ever on a machine where none was running yet.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_ROOT"] = DotnetRoot();
        info.Environment.Remove(BasedEval.LlamaCpp.LlamaBackend.LibraryDirectoryVariable);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, $"{program} {string.Join(' ', arguments)} (exit {process.ExitCode}):\n{await output}{await error}");
    }

    /// <summary>The installation whose runtime runs this test: the tool's launcher must find one, wherever the SDK lives.</summary>
    private static string DotnetRoot() => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
}
