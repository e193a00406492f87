using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BasedEval.LlamaCpp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BasedEval.Cli.Commands;

/// <summary>Where <see cref="OpenAiServer"/> listens and what it serves.</summary>
/// <param name="Port">0 picks a free port.</param>
/// <param name="ModelId">The id /v1/models lists and responses carry; the file name without extension unless set.</param>
/// <param name="ShutdownGrace">How long requests in flight may go on once the server is asked to stop.</param>
public sealed record OpenAiServerOptions(string Host = "127.0.0.1", int Port = 8080, string? ModelId = null)
{
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// OpenAI-compatible HTTP endpoints over an in-process <see cref="LlamaEngine"/>: <c>POST /v1/chat/completions</c> and
/// <c>POST /v1/completions</c>, streamed as server-sent events or answered whole, and <c>GET /v1/models</c>. Sampling is greedy
/// unless the request sets a positive temperature, so a served model answers the way the in-process target does.
/// </summary>
public sealed partial class OpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LlamaEngine _engine;
    private readonly string _modelId;

    private OpenAiServer(WebApplication app, LlamaEngine engine, string modelId)
    {
        _app = app;
        _engine = engine;
        _modelId = modelId;
    }

    /// <summary>The base address, such as http://127.0.0.1:8080; OpenAI clients take it with "/v1" appended.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Starts listening; the engine stays the caller's to dispose, after this server.</summary>
    public static async Task<OpenAiServer> StartAsync(LlamaEngine engine, OpenAiServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        if (!IPAddress.TryParse(options.Host, out var ip))
        {
            throw new ArgumentException($"--host {options.Host} is not an IP address; use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)", nameof(options));
        }

        // The server serves no files; rooting it at the assembly keeps it independent of a working folder that may be gone.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        // Termination signals belong to the command that owns this server, which stops it through DisposeAsync.
        builder.Services.AddSingleton<IHostLifetime, OwnerStoppedLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownGrace);
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(ip, options.Port));
        var app = builder.Build();
        var server = new OpenAiServer(app, engine, options.ModelId ?? Path.GetFileNameWithoutExtension(engine.Model.Path));
        app.MapGet("/v1/models", server.ModelsAsync);
        app.MapPost("/v1/chat/completions", server.ChatAsync);
        app.MapPost("/v1/completions", server.CompletionsAsync);
        await app.StartAsync(cancellationToken);
        // With port 0 Kestrel reports the port it was given.
        server.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return server;
    }

    /// <summary>
    /// Stops accepting connections, lets requests in flight finish for up to <see cref="OpenAiServerOptions.ShutdownGrace"/>,
    /// then aborts the rest (their generations stop and free their slots).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ModelsAsync(HttpContext context)
    {
        await WriteJsonAsync(context, StatusCodes.Status200OK, json =>
        {
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            json.WriteStartObject();
            json.WriteString("id", _modelId);
            json.WriteString("object", "model");
            json.WriteNumber("created", new DateTimeOffset(File.GetLastWriteTimeUtc(_engine.Model.Path)).ToUnixTimeSeconds());
            json.WriteString("owned_by", "basedeval");
            json.WriteEndObject();
            json.WriteEndArray();
        });
    }

    private Task ChatAsync(HttpContext context) => GenerateAsync(context, chat: true);

    private Task CompletionsAsync(HttpContext context) => GenerateAsync(context, chat: false);

    private async Task GenerateAsync(HttpContext context, bool chat)
    {
        Request request;
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            request = Request.Read(body.RootElement, chat);
        }
        catch (Exception e) when (e is JsonException or BadRequestException)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, e.Message);
            return;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
            await WriteErrorAsync(context, e.StatusCode, string.Create(CultureInfo.InvariantCulture,
                $"the request body is larger than this server's limit of {limit:N0} bytes; send a shorter prompt"));
            return;
        }

        int[] prompt;
        try
        {
            var text = chat ? _engine.Model.ApplyChatTemplate(request.Messages).Text : request.Prompt;
            prompt = _engine.Model.Tokenize(text, addSpecial: true, parseSpecial: true);
        }
        catch (LlamaException e)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, e.Message);
            return;
        }

        var reply = new Reply(context, chat, request.Model ?? _modelId);
        var updates = _engine.GenerateAsync(prompt, request.Sampling, context.RequestAborted).GetAsyncEnumerator(context.RequestAborted);
        try
        {
            // The first step is awaited before any byte is sent, so a prompt that does not fit still gets a status code.
            GenerationUpdate update;
            try
            {
                update = await NextAsync(updates);
            }
            catch (LlamaPromptTooLongException e)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, e.Message);
                return;
            }

            var text = new StringBuilder();
            if (request.Stream)
            {
                await reply.StartStreamAsync();
            }

            while (true)
            {
                if (request.Stream && update.Text.Length > 0)
                {
                    await reply.StreamTextAsync(update.Text);
                }

                text.Append(update.Text);
                if (update.Summary is { } summary)
                {
                    await (request.Stream ? reply.EndStreamAsync(summary, request.IncludeUsage) : reply.WriteWholeAsync(text.ToString(), summary));
                    return;
                }

                update = await NextAsync(updates);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the engine has already freed its slot.
        }
        finally
        {
            await updates.DisposeAsync();
        }
    }

    private static async Task<GenerationUpdate> NextAsync(IAsyncEnumerator<GenerationUpdate> updates) =>
        await updates.MoveNextAsync() ? updates.Current : throw new InvalidOperationException("The engine ended a generation without its summary");

    private static Task WriteErrorAsync(HttpContext context, int status, string message) =>
        WriteJsonAsync(context, status, json =>
        {
            json.WriteStartObject("error");
            json.WriteString("message", message);
            json.WriteString("type", "invalid_request_error");
            json.WriteEndObject();
        });

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Json(body), context.RequestAborted);
    }

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string FinishReason(GenerationSummary summary) => summary.FinishReason == LlamaFinishReason.Stop ? "stop" : "length";

    private static void WriteUsage(Utf8JsonWriter json, GenerationSummary summary)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", summary.PromptTokens);
        json.WriteNumber("completion_tokens", summary.OutputTokens);
        json.WriteNumber("total_tokens", summary.PromptTokens + summary.OutputTokens);
        json.WriteEndObject();
    }

    private sealed class BadRequestException(string message) : Exception(message);

    /// <summary>Writes one response in the chat or the completions shape, whole or as server-sent events.</summary>
    private sealed class Reply(HttpContext context, bool chat, string model)
    {
        private readonly string _id = (chat ? "chatcmpl-" : "cmpl-") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        private readonly string _object = chat ? "chat.completion" : "text_completion";

        public async Task StartStreamAsync()
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            if (chat)
            {
                // OpenAI opens with the role alone; clients do not count it as output.
                await EventAsync(json => Choice(json, role: "assistant", text: "", finish: null));
            }
        }

        public Task StreamTextAsync(string text) => EventAsync(json => Choice(json, role: null, text, finish: null));

        public async Task EndStreamAsync(GenerationSummary summary, bool includeUsage)
        {
            await EventAsync(json => Choice(json, role: null, text: null, FinishReason(summary)));
            if (includeUsage)
            {
                await EventAsync(json =>
                {
                    json.WriteStartArray("choices");
                    json.WriteEndArray();
                    WriteUsage(json, summary);
                });
            }

            await WriteAsync("data: [DONE]\n\n"u8.ToArray());
        }

        public Task WriteWholeAsync(string text, GenerationSummary summary) => WriteJsonAsync(context, StatusCodes.Status200OK, json =>
        {
            Header(json, _object);
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            if (chat)
            {
                json.WriteStartObject("message");
                json.WriteString("role", "assistant");
                json.WriteString("content", text);
                json.WriteEndObject();
            }
            else
            {
                json.WriteString("text", text);
                json.WriteNull("logprobs");
            }

            json.WriteString("finish_reason", FinishReason(summary));
            json.WriteEndObject();
            json.WriteEndArray();
            WriteUsage(json, summary);
        });

        private void Choice(Utf8JsonWriter json, string? role, string? text, string? finish)
        {
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            if (chat)
            {
                json.WriteStartObject("delta");
                if (role is not null)
                {
                    json.WriteString("role", role);
                }

                if (text is not null)
                {
                    json.WriteString("content", text);
                }

                json.WriteEndObject();
            }
            else
            {
                json.WriteString("text", text ?? "");
            }

            if (finish is null)
            {
                json.WriteNull("finish_reason");
            }
            else
            {
                json.WriteString("finish_reason", finish);
            }

            json.WriteEndObject();
            json.WriteEndArray();
        }

        private Task EventAsync(Action<Utf8JsonWriter> body) => WriteAsync([.. "data: "u8, .. Json(json =>
        {
            Header(json, chat ? "chat.completion.chunk" : "text_completion");
            body(json);
        }), .. "\n\n"u8]);

        private void Header(Utf8JsonWriter json, string kind)
        {
            json.WriteString("id", _id);
            json.WriteString("object", kind);
            json.WriteNumber("created", _created);
            json.WriteString("model", model);
        }

        // Flushed per event: a chunk held in a buffer would arrive late and inflate the client's TTFT and ITL.
        private async Task WriteAsync(byte[] bytes)
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }
}

/// <summary>A host lifetime that leaves signals alone: the server is started and stopped by the command that owns it.</summary>
internal sealed class OwnerStoppedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
