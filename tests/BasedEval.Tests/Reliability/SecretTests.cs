using System.Text;
using BasedEval.Tests.EndToEnd;
using BasedEval.TestServer;

namespace BasedEval.Tests.Reliability;

/// <summary>An API key read from the environment reaches the server and nothing else: no stored byte, report or printed line.</summary>
public class SecretTests
{
    [Fact]
    public async Task A_full_compare_sends_the_key_to_the_server_and_writes_it_nowhere()
    {
        var variable = $"BASEDEVAL_LEAK_TEST_KEY_{Environment.ProcessId}";
        var key = $"sk-leak-canary-{Guid.NewGuid():N}";
        using var ws = new ScriptedWorkspace(120, i => i % 4 != 0, i => i % 5 != 0, subjects: 2);
        // Failures make the runner store and print error messages, the likeliest place for a key to slip into.
        List<FaultRule> faults = [new() { Kind = FaultKind.ServerError, Fraction = 0.1, Seed = 3, StatusCode = 503 }, new() { Kind = FaultKind.RateLimit, Fraction = 0.05, Seed = 4 }];
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, 5, faults: faults), ["open-b"] = ws.Model(ws.CandidateRight, 5, faults: faults) } };
        await using var server = await TestLlmServer.StartAsync(script, TestContext.Current.CancellationToken);
        ws.WriteConfig(server.BaseUrl, "      quality: { margin: 20 }", concurrency: 8, candidateProvider: "anthropic");
        File.WriteAllText(ws.ConfigPath, File.ReadAllText(ws.ConfigPath)
            .Replace("model: gpt-a\n", $"model: gpt-a\n    api_key_env: {variable}\n", StringComparison.Ordinal)
            .Replace("model: open-b\n", $"model: open-b\n    api_key_env: {variable}\n", StringComparison.Ordinal));
        var copies = Directory.CreateTempSubdirectory("basedeval-store-copies-").FullName;
        Environment.SetEnvironmentVariable(variable, key);
        try
        {
            using var stopCopying = new CancellationTokenSource();
            var copying = CopyStoreFilesAsync(Path.GetDirectoryName(ws.StorePath)!, copies, stopCopying.Token);
            var compare = await CliRunner.RunAsync(ws.Root, "compare", "--config", ws.ConfigPath);
            var runs = await CliRunner.RunAsync(ws.Root, "runs", "--config", ws.ConfigPath);
            await stopCopying.CancelAsync();
            var copied = await copying;

            Assert.True(compare.ExitCode == 0, compare.Output + compare.Error);
            Assert.Contains("retry", compare.Output, StringComparison.Ordinal);
            Assert.All(server.Requests.Where(r => r.Model == "gpt-a"), r => Assert.Equal($"Bearer {key}", r.Authorization));
            Assert.All(server.Requests.Where(r => r.Model == "open-b"), r => Assert.Equal(key, r.ApiKey));
            // The write-ahead log is gone once the store closes; the copies taken while it ran stand in for it.
            Assert.Contains(copied, f => f.EndsWith("-wal", StringComparison.Ordinal));

            var written = Directory.GetFiles(ws.Root, "*", SearchOption.AllDirectories).Concat(Directory.GetFiles(copies)).ToList();
            Assert.Contains(written, f => f.EndsWith(".db", StringComparison.Ordinal));
            Assert.Contains(written, f => f.EndsWith(".md", StringComparison.Ordinal));
            foreach (var file in written)
            {
                var bytes = File.ReadAllBytes(file);
                Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(key)) >= 0, $"the key is in {file}");
                Assert.False(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(key)) >= 0, $"the key is in {file} as UTF-16");
            }

            foreach (var text in new[] { compare.Output, compare.Error, runs.Output, runs.Error })
            {
                Assert.DoesNotContain(key, text, StringComparison.Ordinal);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
            Cleanup.DeleteFolder(copies);
        }
    }

    /// <summary>Copies the store's files (the WAL included, while it exists) every few milliseconds until cancelled.</summary>
    private static async Task<HashSet<string>> CopyStoreFilesAsync(string folder, string into, CancellationToken cancellationToken)
    {
        var copied = new HashSet<string>(StringComparer.Ordinal);
        var round = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (Directory.Exists(folder))
            {
                foreach (var file in Directory.GetFiles(folder))
                {
                    try
                    {
                        var target = Path.Combine(into, $"{round}-{Path.GetFileName(file)}");
                        File.Copy(file, target);
                        copied.Add(target);
                    }
                    catch (IOException)
                    {
                        // Removed between listing and copying: the WAL at checkpoint.
                    }
                }
            }

            round++;
            try
            {
                await Task.Delay(50, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return copied;
    }
}
