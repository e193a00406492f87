using System.ClientModel;
using BasedEval.Core.Config;
using BasedEval.Core.Running;
using BasedEval.Core.Storage;
using BasedEval.Extensions.AI;
using BasedEval.Tests.EndToEnd;
using BasedEval.Tests.Suites;
using BasedEval.TestServer;
using Microsoft.Extensions.AI;
using OpenAI;

namespace BasedEval.Tests.ExtensionsAI;

/// <summary>Provider chatclient: an IChatClient registered in code, run and measured like the built-in providers.</summary>
public class ChatClientTargetTests
{
    private const double ScriptedTtftMs = 30;

    private const string Gates = "      quality: { margin: 2 }";

    private const string ViaClient = """
          via-client:
            provider: chatclient
            client: openai-sdk
            prices: { input: 2.5, cached_input: 1.25, output: 10 }
            max_concurrency: 4
            timeout_s: 10
        """;

    [Fact]
    public async Task OpenAIs_own_client_as_a_chatclient_target_gives_the_openai_targets_samples_and_comparable_timings()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var ws = new ScriptedWorkspace(40, i => i % 3 != 0, _ => true, subjects: 4);
        var script = new ServerScript { Models = { ["gpt-a"] = ws.Model(ws.BaselineRight, ScriptedTtftMs, interChunkMs: 3, tokensPerChunk: 2) } };
        await using var server = await TestLlmServer.StartAsync(script, cancel);
        ws.WriteConfig(server.BaseUrl, Gates, concurrency: 4, extraTarget: ViaClient);
        using var openAi = OpenAiClient(server, "gpt-a");
        var options = new EvalHostOptions();
        options.ChatClients["openai-sdk"] = openAi;
        await using var host = await EvalHost.OpenAsync(ws.ConfigPath, options, cancel);

        var direct = await host.RunAsync(new RunRequest("gpt-a", ["mmlu"], null, null), cancel);
        var viaClient = await host.RunAsync(new RunRequest("via-client", ["mmlu"], null, null), cancel);

        Assert.Equal((40, 0, 0), (direct.Succeeded, direct.Failed, direct.FromCache));
        Assert.Equal((40, 0, 0), (viaClient.Succeeded, viaClient.Failed, viaClient.FromCache));
        var expected = (await host.Store.GetSamplesAsync(direct.RunId, cancel)).ToDictionary(s => s.ItemId, StringComparer.Ordinal);
        var actual = await host.Store.GetSamplesAsync(viaClient.RunId, cancel);
        Assert.Equal(40, actual.Count);
        foreach (var sample in actual)
        {
            var twin = expected[sample.ItemId];
            Assert.Equal(twin.ResponseText, sample.ResponseText);
            Assert.Equal(twin.FinishReason, sample.FinishReason);
            Assert.Equal(twin.Usage, sample.Usage);
            Assert.False(sample.Usage.Estimated);
            Assert.Equal(twin.CostUsd, sample.CostUsd, 12);
            Assert.Equal((twin.Score!.Value, twin.Score.Extracted, twin.Score.Explanation), (sample.Score!.Value, sample.Score.Extracted, sample.Score.Explanation));
            Assert.Equal(twin.Timings!.OutputChunks.Count, sample.Timings!.OutputChunks.Count);
            // Causality: nothing can arrive before the server's scripted wait, and the stream ends after its first output.
            Assert.InRange(sample.Timings.TtftMs!.Value, ScriptedTtftMs, sample.Timings.E2eMs);
        }

        var directTtft = Median(expected.Values, s => s.Timings!.TtftMs!.Value);
        var clientTtft = Median(actual, s => s.Timings!.TtftMs!.Value);
        var directE2e = Median(expected.Values, s => s.Timings!.E2eMs);
        var clientE2e = Median(actual, s => s.Timings!.E2eMs);
        TestContext.Current.TestOutputHelper?.WriteLine($"median TTFT {directTtft:0.0} ms (openai) vs {clientTtft:0.0} ms (chatclient); median E2E {directE2e:0.0} vs {clientE2e:0.0} ms");
        // The client's stamps are taken after its SDK parsed each chunk, the openai target's at the kernel's receipt:
        // close, never identical, and a starved machine spreads both.
        Assert.InRange(clientTtft - directTtft, -Math.Max(20, directTtft / 2), Math.Max(20, directTtft / 2));
        Assert.InRange(clientE2e - directE2e, -Math.Max(20, directE2e / 2), Math.Max(20, directE2e / 2));
    }

    [Fact]
    public async Task A_client_name_nobody_registered_is_a_configuration_error_naming_the_registered_ones()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var ws = new ScriptedWorkspace(4, _ => true, _ => true, subjects: 1);
        ws.WriteConfig(new Uri("http://127.0.0.1:9/"), Gates, extraTarget: ViaClient);
        var options = new EvalHostOptions();
        using var other = new TargetChatClient(new NeverCalledTarget());
        options.ChatClients["someone-else"] = other;
        await using var host = await EvalHost.OpenAsync(ws.ConfigPath, options, cancel);

        var error = await Assert.ThrowsAsync<ConfigException>(() => host.RunAsync(new RunRequest("via-client", [], null, null), cancel));

        Assert.Contains("the chat client `openai-sdk`, which the application did not register", error.Message, StringComparison.Ordinal);
        Assert.Contains("registered: someone-else", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_command_line_refuses_a_chatclient_target_with_exit_2_and_says_where_it_runs()
    {
        using var ws = new ScriptedWorkspace(4, _ => true, _ => true, subjects: 1);
        ws.WriteConfig(new Uri("http://127.0.0.1:9/"), Gates, extraTarget: ViaClient);

        var result = await CliRunner.RunAsync(ws.Root, "run", "--target", "via-client", "--config", ws.ConfigPath);

        Assert.Equal(Core.Gating.ExitCodes.InvalidInput, result.ExitCode);
        Assert.Contains("uses provider chatclient, whose IChatClient an application registers in code", result.Error, StringComparison.Ordinal);
        Assert.Contains("evals.yaml:", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("provider: openai\n    model: m\n    client: c", "`client` applies only to provider chatclient")]
    [InlineData("provider: chatclient\n    model: m", "is missing the required key `client`")]
    [InlineData("provider: chatclient\n    client: c\n    base_url: http://127.0.0.1:1/v1", "`base_url` does not apply to provider chatclient")]
    [InlineData("provider: chatclient\n    client: c\n    api_key_env: KEY", "`api_key_env` does not apply to provider chatclient")]
    [InlineData("provider: chatclient\n    client: c\n    model_path: m.gguf", "`model_path` applies only to provider llamacpp")]
    public void A_chatclient_target_is_checked_like_any_other(string target, string problem)
    {
        using var folder = new TempFolder();
        folder.Write("mmlu/test.csv", string.Empty);
        var path = folder.Write("evals.yaml", $"version: 1\ntargets:\n  t:\n    {target}\nsuites:\n  s: {{ format: mmlu, path: mmlu }}\n");

        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains("evals.yaml:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chatclient_target_reads_its_client_and_model()
    {
        using var folder = new TempFolder();
        folder.Write("mmlu/test.csv", string.Empty);
        var path = folder.Write("evals.yaml", "version: 1\ntargets:\n  a: { provider: chatclient, client: azure }\n  b: { provider: chatclient, client: azure, model: gpt-4o }\nsuites:\n  s: { format: mmlu, path: mmlu }\n");

        var config = ConfigLoader.Load(path);

        Assert.Equal(new ChatClientReference("azure", null), config.Targets["a"].ChatClient);
        Assert.Equal("azure", config.Targets["a"].Model);
        Assert.Equal(new ChatClientReference("azure", "gpt-4o"), config.Targets["b"].ChatClient);
        Assert.Equal(ProviderKind.ChatClient, config.Targets["b"].Provider);
    }

    internal static IChatClient OpenAiClient(TestLlmServer server, string model) =>
        new OpenAI.Chat.ChatClient(model, new ApiKeyCredential("not-checked-by-the-loopback-server"), new OpenAIClientOptions { Endpoint = new Uri($"{server.BaseUrl}v1") }).AsIChatClient();

    private static double Median(IEnumerable<Sample> samples, Func<Sample, double> value)
    {
        var sorted = samples.Select(value).Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private sealed class NeverCalledTarget : Core.Targets.ITarget
    {
        public string Name => "never";

        public Core.Targets.TargetIdentity Identity { get; } = new("test", "never", "nowhere", string.Empty);

        public Task<Core.Targets.TargetResponse> SendAsync(Core.Targets.TargetRequest request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("not called");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
