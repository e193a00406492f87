using System.Diagnostics;
using System.Net;
using BasedEval.Tests.EndToEnd;

namespace BasedEval.Tests.TestServer;

public sealed class StandaloneServerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("testserver-").FullName;

    [Fact]
    public async Task Executable_prints_its_url_first_and_serves_the_script()
    {
        var scriptPath = Path.Combine(_directory, "script.json");
        await File.WriteAllTextAsync(scriptPath, ServerScriptJsonTests.Example, TestContext.Current.CancellationToken);
        using var process = Process.Start(DotnetProcess.StartInfo("BasedEval.TestServer.dll", _directory, "--script", scriptPath))!;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            var firstLine = await process.StandardOutput.ReadLineAsync(timeout.Token);

            Assert.NotNull(firstLine);
            Assert.Matches(@"^listening on http://127\.0\.0\.1:\d+$", firstLine);
            using var client = new ServerClient();
            var baseUrl = new Uri(firstLine["listening on ".Length..] + "/");
            var (response, body) = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "v1/chat/completions"))
            {
                Content = new StringContent(ServerClient.OpenAiBody("gpt-a", "Question id: Q-2", stream: false)),
            });

            // The key may be drawn for one of the example's faults; a retry past them always succeeds.
            for (var i = 0; i < 3 && response.StatusCode != HttpStatusCode.OK; i++)
            {
                (response, body) = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "v1/chat/completions"))
                {
                    Content = new StringContent(ServerClient.OpenAiBody("gpt-a", "Question id: Q-2", stream: false)),
                });
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("Answer: B", body, StringComparison.Ordinal);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Executable_without_a_script_exits_2_and_says_how_to_call_it()
    {
        using var process = Process.Start(DotnetProcess.StartInfo("BasedEval.TestServer.dll", _directory))!;
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("--script", error, StringComparison.Ordinal);
    }

    public void Dispose() => Cleanup.DeleteFolder(_directory);
}
