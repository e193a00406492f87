using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using BasedEval.Cli.Commands;
using BasedEval.Core.Config;
using BasedEval.Core.Suites;
using BasedEval.Core.Targets;
using BasedEval.LlamaCpp;
using BasedEval.Tests.EndToEnd;
using BasedEval.Tests.LlamaCpp;

namespace BasedEval.Tests.Serve;

/// <summary>The synthetic model served on a free loopback port for the tests of one class.</summary>
public sealed class ServedModel : IAsyncLifetime
{
    private LlamaModel? _model;

    public LlamaEngine Engine { get; private set; } = null!;

    public OpenAiServer Server { get; private set; } = null!;

    public HttpClient Http { get; } = new();

    public async ValueTask InitializeAsync()
    {
        _model = SyntheticModels.Load(SyntheticModels.F16);
        Engine = new LlamaEngine(_model, new LlamaEngineOptions { ContextSize = 1024, Threads = 1, ParallelSlots = 2 });
        Server = await OpenAiServer.StartAsync(Engine, new OpenAiServerOptions(Port: 0));
        Http.BaseAddress = Server.Address;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Engine.Dispose();
        _model?.Dispose();
    }
}

public class OpenAiServerTests(ServedModel served) : IClassFixture<ServedModel>
{
    private static readonly TargetRequest Request = new(
        [new ChatMessage("system", "Answer with a letter."), new ChatMessage("user", "What is 7 × 8?\nA. 54\nB. 56\nC. 58\nD. 64")],
        new SamplingParameters(0, null, 16, null));

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BasedEvals_own_OpenAI_target_gets_the_in_process_answer_with_exact_usage()
    {
        await using var local = new LlamaCppTarget(new LlamaCppTargetOptions(SyntheticModels.F16) { GpuLayers = 0, ContextSize = 1024, Threads = 1 });
        await using var remote = new OpenAiChatTarget(OpenAiConfig(served.Server.Address), apiKey: null);

        var expected = await local.SendAsync(Request, Cancel);
        var streamed = await remote.SendAsync(Request, Cancel);

        Assert.Equal(16, expected.Usage.OutputTokens);
        Assert.Equal(expected.Text, streamed.Text);
        Assert.Equal(expected.FinishReason, streamed.FinishReason);
        Assert.Equal(expected.Usage, streamed.Usage);
        Assert.InRange(streamed.Timings.OutputChunks.Count, 1, streamed.Usage.OutputTokens);
        Assert.NotNull(streamed.Timings.TtftMs);
        Assert.InRange(streamed.Timings.TtftMs!.Value, 0.01, streamed.Timings.E2eMs);
        Assert.InRange(streamed.Timings.E2eMs, streamed.Timings.OutputChunks[^1].OffsetMs, 30_000);
    }

    [Fact]
    public async Task A_chat_answered_whole_matches_the_stream()
    {
        await using var remote = new OpenAiChatTarget(OpenAiConfig(served.Server.Address), apiKey: null);
        var streamed = await remote.SendAsync(Request, Cancel);

        using var whole = await PostAsync("/v1/chat/completions", """
            {"model":"tiny","max_tokens":16,"temperature":0,"messages":[
              {"role":"system","content":"Answer with a letter."},
              {"role":"user","content":[{"type":"text","text":"What is 7 × 8?\nA. 54\nB. 56\nC. 58\nD. 64"}]}]}
            """);

        var root = whole.RootElement;
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.Equal("tiny", root.GetProperty("model").GetString());
        var choice = root.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(streamed.Text, choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(streamed.FinishReason, choice.GetProperty("finish_reason").GetString());
        Assert.Equal(streamed.Usage.InputTokens, root.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(16, root.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(streamed.Usage.InputTokens + 16, root.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Models_lists_the_served_file()
    {
        using var response = await served.Http.GetAsync(new Uri("/v1/models", UriKind.Relative), Cancel);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("list", json.RootElement.GetProperty("object").GetString());
        var model = Assert.Single(json.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(Path.GetFileNameWithoutExtension(SyntheticModels.F16), model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
    }

    [Fact]
    public async Task Completions_stream_and_whole_give_the_engines_greedy_text()
    {
        const string prompt = "The following are multiple choice questions (with answers) about physics.\n\nAnswer:";
        var expected = new StringBuilder();
        var outputTokens = 0;
        await foreach (var update in served.Engine.GenerateAsync(prompt, LlamaSampling.Greedy with { MaxTokens = 12 }, Cancel))
        {
            expected.Append(update.Text);
            outputTokens += update.Summary is null ? 1 : 0;
        }

        var promptTokens = served.Engine.Model.Tokenize(prompt, addSpecial: true, parseSpecial: true).Length;
        var body = JsonSerializer.Serialize(new { prompt, max_tokens = 12 });

        using var whole = await PostAsync("/v1/completions", body);
        var choice = whole.RootElement.GetProperty("choices")[0];
        Assert.Equal("text_completion", whole.RootElement.GetProperty("object").GetString());
        Assert.Equal(expected.ToString(), choice.GetProperty("text").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(promptTokens, whole.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent(body.TrimEnd('}') + ""","stream":true,"stream_options":{"include_usage":true}}""", Encoding.UTF8, "application/json"),
        };
        using var streamed = await served.Http.SendAsync(request, Cancel);
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType?.MediaType);
        var events = (await streamed.Content.ReadAsStringAsync(Cancel)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToArray();
        var texts = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).Select(c => c.GetProperty("choices")[0]).ToArray();
        Assert.Equal(expected.ToString(), string.Concat(texts.Select(t => t.GetProperty("text").GetString())));
        Assert.Equal("length", texts[^1].GetProperty("finish_reason").GetString());
        Assert.All(texts[..^1], t => Assert.Equal(JsonValueKind.Null, t.GetProperty("finish_reason").ValueKind));
        var usage = chunks[^1].GetProperty("usage");
        Assert.Equal(promptTokens, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(outputTokens, usage.GetProperty("completion_tokens").GetInt32());
    }

    [Theory]
    [InlineData("/v1/chat/completions", "{\"messages\": []}", "messages")]
    [InlineData("/v1/completions", "{\"max_tokens\": 4}", "prompt")]
    [InlineData("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": \"four\"}", "max_tokens")]
    [InlineData("/v1/chat/completions", "not json", "")]
    public async Task A_bad_request_is_a_400_with_an_OpenAI_error(string path, string body, string mentioned)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await served.Http.PostAsync(new Uri(path, UriKind.Relative), content, Cancel);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(mentioned, json.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_serve_command_announces_its_address_first_and_serves_there(bool workingFolderDeleted)
    {
        var folder = Directory.CreateTempSubdirectory("basedeval-serve-").FullName;
        var start = DotnetProcess.StartInfo("basedeval.dll", folder, "serve", "--model", SyntheticModels.F16, "--port", "0", "--threads", "1");
        if (workingFolderDeleted)
        {
            // Started from a folder that is removed under it (a finished CI step's workspace), the server must still start.
            string[] command = ["-c", "rmdir \"$PWD\" && exec \"$@\"", "sh", start.FileName, .. start.ArgumentList];
            start.FileName = "/bin/sh";
            start.ArgumentList.Clear();
            command.ToList().ForEach(start.ArgumentList.Add);
        }
        else
        {
            start.WorkingDirectory = AppContext.BaseDirectory;
            Directory.Delete(folder);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(Cancel);
        try
        {
            var first = await process.StandardOutput.ReadLineAsync(Cancel).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Cancel);
            if (first is null)
            {
                await process.WaitForExitAsync(Cancel);
                Assert.Fail($"serve exited with {process.ExitCode} before announcing its address: {await errors}");
            }

            Assert.Matches(@"^listening on http://127\.0\.0\.1:\d+$", first);
            using var http = new HttpClient { BaseAddress = new Uri(first["listening on ".Length..]) };
            using var response = await http.GetAsync(new Uri("/v1/models", UriKind.Relative), Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Cancel);
        }
    }

    private static TargetConfig OpenAiConfig(Uri server) => new(
        "served", ProviderKind.OpenAi, "tiny", new Uri(server, "/v1").ToString(), null, Prices.Free, 2, TimeSpan.FromSeconds(60), 0, new SamplingConfig(0, null, 16, null), null, default);

    private async Task<JsonDocument> PostAsync(string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await served.Http.PostAsync(new Uri(path, UriKind.Relative), content, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
    }
}
