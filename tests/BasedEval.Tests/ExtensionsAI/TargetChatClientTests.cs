using BasedEval.Core.Config;
using BasedEval.Core.Targets;
using BasedEval.Extensions.AI;
using BasedEval.LlamaCpp;
using BasedEval.Tests.LlamaCpp;
using BasedEval.Tests.Suites;
using BasedEval.TestServer;
using Microsoft.Extensions.AI;

namespace BasedEval.Tests.ExtensionsAI;

/// <summary>BasedEval's own targets as IChatClient: what an application calls through the abstraction it uses everywhere.</summary>
public class TargetChatClientTests
{
    private static readonly ChatMessage[] Question = [new(ChatRole.System, "Answer briefly."), new(ChatRole.User, "What is the capital of France?")];

    private static readonly ChatOptions Greedy = new() { Temperature = 0, MaxOutputTokens = 12 };

    [Fact]
    public async Task A_local_GGUF_model_answers_through_IChatClient_the_same_streamed_and_not()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var client = new TargetChatClient(new LlamaCppTarget(new LlamaCppTargetOptions(TinyLlama.RequirePath()) { GpuLayers = 0, ContextSize = 512, Threads = 1 }), ownsTarget: true);

        var whole = await client.GetResponseAsync(Question, Greedy, cancel);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Question, Greedy, cancel))
        {
            updates.Add(update);
        }

        Assert.NotEmpty(whole.Text);
        Assert.Equal(12, whole.Usage!.OutputTokenCount);
        Assert.True(whole.Usage.InputTokenCount > 10);
        Assert.Equal(ChatFinishReason.Length, whole.FinishReason);
        Assert.True((double)whole.AdditionalProperties![TargetChatClient.TtftMsKey]! > 0);
        Assert.Equal("llamacpp", client.GetService<ChatClientMetadata>()!.ProviderName);
        // Greedy decoding: the streamed pieces are the same answer, one generated token at a time.
        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.True(updates.Count(u => u.Text.Length > 0) > 1, "the answer came in one piece: nothing was streamed");
        var last = updates[^1];
        Assert.Equal(ChatFinishReason.Length, last.FinishReason);
        var usage = Assert.Single(last.Contents.OfType<UsageContent>()).Details;
        Assert.Equal((whole.Usage.InputTokenCount, whole.Usage.OutputTokenCount), (usage.InputTokenCount, usage.OutputTokenCount));
        Assert.Equal(whole.Text, (await client.GetStreamingResponseAsync(Question, Greedy, cancel).ToChatResponseAsync(cancel)).Text);

        // A reader that stops after the first piece stops the generation with it; the model is free for the next call.
        await foreach (var first in client.GetStreamingResponseAsync(Question, new ChatOptions { Temperature = 0, MaxOutputTokens = 400 }, cancel))
        {
            break;
        }

        Assert.Equal(whole.Text, (await client.GetResponseAsync(Question, Greedy, cancel)).Text);
    }

    [Fact]
    public async Task A_local_target_of_evals_yaml_is_an_IChatClient_built_from_its_recipe()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var folder = new TempFolder();
        folder.Write("mmlu/test.csv", string.Empty);
        var config = folder.Write("evals.yaml", """
            version: 1
            targets:
              tiny:
                provider: llamacpp
                model_path: models/tiny.gguf
                build: { synthesize: { seed: 7 } }
                gpu_layers: 0
                context_size: 512
                threads: 1
            suites:
              mmlu: { format: mmlu, path: mmlu }
            """);
        await using var host = await EvalHost.OpenAsync(config, cancellationToken: cancel);

        using var client = host.GetChatClient("tiny");
        var answer = await client.GetResponseAsync(Question, new ChatOptions { Temperature = 0, MaxOutputTokens = 4 }, cancel);

        Assert.True(File.Exists(Path.Combine(folder.Path, "models", "tiny.gguf")));
        Assert.Equal(4, answer.Usage!.OutputTokenCount);
        Assert.StartsWith("tiny.gguf@sha256:", answer.ModelId, StringComparison.Ordinal);
        Assert.Contains("no target `nope`", Assert.Throws<ConfigException>(() => host.GetChatClient("nope")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openai_target_streams_the_servers_answer_with_its_usage_through_IChatClient()
    {
        var cancel = TestContext.Current.CancellationToken;
        var script = new ServerScript
        {
            Models = { ["gpt-a"] = new ModelScript { DefaultReply = "Paris is the capital of France.", TtftMs = 5, InterChunkDelayMs = 2, TokensPerChunk = 1, PromptTokens = 17 } },
        };
        await using var server = await TestLlmServer.StartAsync(script, cancel);
        var config = new TargetConfig("gpt-a", ProviderKind.OpenAi, "gpt-a", $"{server.BaseUrl}v1", null, Prices.Free, 2, TimeSpan.FromSeconds(10), 0, new SamplingConfig(null, null, null, null), null, default);
        using var client = new TargetChatClient(new OpenAiChatTarget(config, apiKey: null), ownsTarget: true);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Which city?")], cancellationToken: cancel))
        {
            updates.Add(update);
        }

        Assert.Equal("Paris is the capital of France.", string.Concat(updates.Select(u => u.Text)));
        Assert.True(updates.Count(u => u.Text.Length > 0) > 1);
        var usage = Assert.Single(updates[^1].Contents.OfType<UsageContent>()).Details;
        Assert.Equal(17, usage.InputTokenCount);
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        Assert.Equal(new Uri($"{server.BaseUrl}v1/chat/completions"), client.GetService<ChatClientMetadata>()!.ProviderUri);
    }
}
