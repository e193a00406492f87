using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace BasedEval.TestServer;

/// <summary>
/// A loopback OpenAI-compatible and Anthropic-compatible LLM server whose answers, timing, usage
/// and faults follow a <see cref="ServerScript"/>.
/// </summary>
public sealed class TestLlmServer : IAsyncDisposable
{
    private const string OpenAiPath = "/v1/chat/completions";
    private const string AnthropicPath = "/v1/messages";
    private const double ResetGraceMs = 50;

    private readonly WebApplication _app;
    private readonly DeadlineClock _clock;
    private readonly Dictionary<string, CompiledModel> _models;
    private readonly ConcurrentDictionary<(string Model, string FaultKey), int> _attempts = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly Lock _requestsGate = new();
    private readonly LatenessHistogram _lateness = new();
    private readonly bool _record;
    private long _nextId;

    private TestLlmServer(WebApplication app, DeadlineClock clock, ServerScript script, bool record)
    {
        _app = app;
        _clock = clock;
        _record = record;
        _models = script.Models.ToDictionary(pair => pair.Key, pair => new CompiledModel(pair.Key, pair.Value), StringComparer.Ordinal);
        BaseUrl = null!;
    }

    /// <summary>Ends with a slash: OpenAI at {BaseUrl}v1/chat/completions, Anthropic at {BaseUrl}v1/messages.</summary>
    public Uri BaseUrl { get; private set; }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requestsGate)
            {
                return _requests.ToArray();
            }
        }
    }

    public static Task<TestLlmServer> StartAsync(ServerScript script, CancellationToken cancellationToken = default) =>
        StartAsync(script, 0, true, cancellationToken);

    /// <summary>
    /// Port 0 picks a free one. Without <paramref name="recordRequests"/> the server keeps nothing per request (no
    /// <see cref="Requests"/>, counts or attempts unless a fault needs them), so a benchmark of millions of requests
    /// does not grow it.
    /// </summary>
    public static async Task<TestLlmServer> StartAsync(ServerScript script, int port, bool recordRequests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(TestLlmServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options =>
        {
            options.AddServerHeader = false;
            // Stalls and slow drips are deliberate; Kestrel must not cut them short on its own.
            options.Limits.MinResponseDataRate = null;
            options.Limits.MinRequestBodyDataRate = null;
            options.Listen(IPAddress.Loopback, port);
        });
        builder.Services.RemoveAll<IConnectionListenerFactory>();
        builder.Services.AddSingleton<IConnectionListenerFactory, KernelStampedTransport>();

        var app = builder.Build();
        var clock = new DeadlineClock();
        var server = new TestLlmServer(app, clock, script, recordRequests);
        app.Run(server.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            clock.Dispose();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>
    /// How late, after its scripted time, each stream's first content chunk was written and sent: the part of a
    /// client's TTFT error that is the server's own, on a loaded machine where its wake-ups come late.
    /// </summary>
    public FirstContentLateness FirstContentLateness => _lateness.Summary();

    public int RequestCount(string model) => CountRequests(r => r.Model == model);

    /// <summary>Requests answered completely with no fault.</summary>
    public int SuccessfulRequestCount(string model) =>
        CountRequests(r => r.Model == model && r.Completed && r.Fault is null && r.StatusCode == StatusCodes.Status200OK);

    public int RequestCountForKey(string model, string key) => CountRequests(r => r.Model == model && r.Key == key);

    private int CountRequests(Func<RecordedRequest, bool> predicate)
    {
        lock (_requestsGate)
        {
            return _requests.Count(predicate);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Kestrel would otherwise wait up to 30 s for a scripted stall or slow drip that is still running.
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
        _clock.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var arrival = Stopwatch.GetTimestamp();
        var arrivedAt = DateTimeOffset.UtcNow;
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var request = context.Request;
        try
        {
            if (HttpMethods.IsPost(request.Method) && request.Path == OpenAiPath)
            {
                await HandleGenerationAsync(context, Api.OpenAi, arrival, arrivedAt);
            }
            else if (HttpMethods.IsPost(request.Method) && request.Path == AnthropicPath)
            {
                await HandleGenerationAsync(context, Api.Anthropic, arrival, arrivedAt);
            }
            else if (HttpMethods.IsGet(request.Method) && request.Path == "/v1/models")
            {
                await WriteModelListAsync(context);
            }
            else
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
            }
        }
        catch (Exception e) when ((e is OperationCanceledException or IOException) && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (its timeout fired, or it gave up); nothing is left to answer.
        }
    }

    private async Task HandleGenerationAsync(HttpContext context, Api api, long arrival, DateTimeOffset arrivedAt)
    {
        var headers = context.Request.Headers;
        var anthropicVersion = headers["anthropic-version"].FirstOrDefault();
        JsonElement body = default;
        string? bodyError = null;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            body = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            bodyError = "The request body is not valid JSON: " + e.Message;
        }

        // The scripted TTFT counts from the kernel's receipt of the request's last bytes, however late a busy pool ran this.
        if (context.Features.Get<IRequestArrivalFeature>()?.LastArrivalTimestamp is > 0 and var received && received <= Stopwatch.GetTimestamp())
        {
            arrivedAt += Stopwatch.GetElapsedTime(arrival, received);
            arrival = received;
        }

        var parsed = bodyError is null ? ParsedRequest.From(api, body) : null;
        bodyError ??= parsed!.Error;
        var model = parsed?.Model ?? "";
        _models.TryGetValue(model, out var compiled);
        var key = compiled is null || parsed is null ? null : compiled.KeyOf(parsed.Contents);
        var faultKey = key ?? parsed?.Contents ?? "";
        var attempt = _record || compiled?.Script.Faults.Count > 0 ? _attempts.AddOrUpdate((model, faultKey), 1, static (_, n) => n + 1) : 1;
        var fault = compiled is null || bodyError is not null || (api == Api.Anthropic && anthropicVersion is null)
            ? null
            : compiled.FaultFor(faultKey, attempt);

        var record = new RecordedRequest
        {
            Path = api == Api.OpenAi ? OpenAiPath : AnthropicPath,
            Model = model,
            Key = key,
            Attempt = attempt,
            Stream = parsed?.Stream ?? false,
            Authorization = headers.Authorization.FirstOrDefault(),
            ApiKey = headers["x-api-key"].FirstOrDefault(),
            AnthropicVersion = anthropicVersion,
            Body = body,
            ArrivalTimestamp = arrival,
            ArrivedAt = arrivedAt,
            Fault = fault?.Kind,
        };
        if (_record)
        {
            lock (_requestsGate)
            {
                _requests.Add(record);
            }
        }

        if (api == Api.Anthropic && anthropicVersion is null)
        {
            await WriteErrorAsync(context, record, StatusCodes.Status400BadRequest, Frames.AnthropicError(
                "invalid_request_error", "anthropic-version: header is required"));
        }
        else if (bodyError is not null)
        {
            await WriteErrorAsync(context, record, StatusCodes.Status400BadRequest, ErrorBody(
                api, "invalid_request_error", null, "invalid_request_error", bodyError));
        }
        else if (compiled is null)
        {
            await WriteErrorAsync(context, record, StatusCodes.Status404NotFound, ErrorBody(
                api, "invalid_request_error", "model_not_found", "not_found_error",
                $"The model `{model}` does not exist or you do not have access to it."));
        }
        else
        {
            var others = Interlocked.Increment(ref compiled.InFlight) - 1;
            try
            {
                await new Exchange(this, context, api, compiled, parsed!, key, fault, arrival, record, others * compiled.Script.TtftPerInFlightMs).RunAsync();
            }
            finally
            {
                Interlocked.Decrement(ref compiled.InFlight);
            }
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, RecordedRequest record, int status, byte[] body)
    {
        record.StatusCode = status;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
        record.Completed = true;
    }

    private static byte[] ErrorBody(Api api, string openAiType, string? openAiCode, string anthropicType, string message) =>
        api == Api.OpenAi ? Frames.OpenAiError(message, openAiType, openAiCode) : Frames.AnthropicError(anthropicType, message);

    private async Task WriteModelListAsync(HttpContext context)
    {
        var anthropic = context.Request.Headers.ContainsKey("anthropic-version");
        var names = _models.Keys.Order(StringComparer.Ordinal).ToList();
        var bytes = Frames.Json(w =>
        {
            w.WriteStartObject();
            if (!anthropic)
            {
                w.WriteString("object", "list");
            }

            w.WriteStartArray("data");
            foreach (var name in names)
            {
                w.WriteStartObject();
                w.WriteString("id", name);
                if (anthropic)
                {
                    w.WriteString("type", "model");
                    w.WriteString("display_name", name);
                    w.WriteString("created_at", "2025-01-01T00:00:00Z");
                }
                else
                {
                    w.WriteString("object", "model");
                    w.WriteNumber("created", 0);
                    w.WriteString("owned_by", "basedeval-testserver");
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (anthropic)
            {
                w.WriteBoolean("has_more", false);
                WriteStringOrNull(w, "first_id", names.FirstOrDefault());
                WriteStringOrNull(w, "last_id", names.LastOrDefault());
            }

            w.WriteEndObject();
        });
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private static void WriteStringOrNull(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private enum Api
    {
        OpenAi,
        Anthropic,
    }

    private sealed class CompiledModel(string name, ModelScript script)
    {
        private readonly Regex? _keyPattern = script.KeyPattern is null
            ? null
            : new Regex(script.KeyPattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

        private readonly ConcurrentDictionary<string, SplitReply> _splits = new(StringComparer.Ordinal);

        /// <summary>Requests of this model being answered now; drives <see cref="ModelScript.TtftPerInFlightMs"/>.</summary>
        public int InFlight;

        public string Name { get; } = name;

        public ModelScript Script { get; } = script;

        public string? KeyOf(string contents)
        {
            var match = _keyPattern?.Match(contents);
            return match is { Success: true } && match.Groups.Count > 1 && match.Groups[1].Success ? match.Groups[1].Value : null;
        }

        public string ReplyFor(string? key) =>
            key is not null && Script.Replies.TryGetValue(key, out var reply) ? reply : Script.DefaultReply;

        public SplitReply Split(string reply) => _splits.GetOrAdd(reply, text =>
        {
            var tokens = ReplyTokens.Split(text);
            var size = Math.Max(1, Script.TokensPerChunk);
            return new SplitReply(tokens.Chunk(size).Select(chunk => string.Concat(chunk)).ToArray(), tokens.Count);
        });

        public FaultRule? FaultFor(string faultKey, int attempt)
        {
            // Selected rules take consecutive turns, so one key can see e.g. a 429 and then a 503 before it succeeds.
            var turnsBefore = 0;
            foreach (var rule in Script.Faults)
            {
                if (rule.Attempts <= 0 || !rule.Selects(faultKey))
                {
                    continue;
                }

                if (attempt <= turnsBefore + rule.Attempts)
                {
                    return rule;
                }

                turnsBefore += rule.Attempts;
            }

            return null;
        }
    }

    private sealed record SplitReply(IReadOnlyList<string> Chunks, int TokenCount);

    private sealed record ParsedRequest(string Model, string Contents, bool Stream, bool StreamUsage, string? Error)
    {
        public static ParsedRequest From(Api api, JsonElement body)
        {
            if (body.ValueKind != JsonValueKind.Object)
            {
                return new ParsedRequest("", "", false, false, "The request body must be a JSON object.");
            }

            var model = body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
            var stream = body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
            var streamUsage = body.TryGetProperty("stream_options", out var options)
                && options.ValueKind == JsonValueKind.Object
                && options.TryGetProperty("include_usage", out var include)
                && include.ValueKind == JsonValueKind.True;
            if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            {
                return new ParsedRequest(model, "", stream, streamUsage, "messages: field required (an array).");
            }

            var parts = new List<string>();
            if (api == Api.Anthropic && body.TryGetProperty("system", out var system))
            {
                AddText(system, parts);
            }

            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content))
                {
                    AddText(content, parts);
                }
            }

            var error = model.Length == 0 ? "model: field required." : null;
            return new ParsedRequest(model, string.Join('\n', parts), stream, streamUsage, error);
        }

        // Content is a string, or (both APIs) an array of parts of which the text ones count.
        private static void AddText(JsonElement content, List<string> parts)
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                parts.Add(content.GetString()!);
                return;
            }

            if (content.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                {
                    parts.Add(text.GetString()!);
                }
            }
        }
    }

    /// <summary>One scripted answer: what to send and when, with its fault if one was drawn.</summary>
    private sealed class Exchange(
        TestLlmServer server, HttpContext context, Api api, CompiledModel model, ParsedRequest request,
        string? key, FaultRule? fault, long arrival, RecordedRequest record, double queuedMs)
    {
        private readonly CancellationToken _aborted = context.RequestAborted;

        public async Task RunAsync()
        {
            switch (fault?.Kind)
            {
                case FaultKind.ResetBeforeHeaders:
                    context.Abort();
                    return;
                case FaultKind.RateLimit:
                    await RateLimitAsync(fault);
                    return;
                case FaultKind.ServerError:
                    await ServerErrorAsync(fault);
                    return;
            }

            if (request.Stream && key is not null && model.Script.ToolCallReplies.TryGetValue(key, out var toolCalls))
            {
                await StreamToolCallsAsync(toolCalls);
                return;
            }

            var reply = model.ReplyFor(key);
            var split = model.Split(reply);
            var chunks = split.Chunks;
            var usage = model.Script.IncludeUsage
                ? new Frames.Usage(
                    model.Script.PromptTokens ?? ReplyTokens.CountWords(request.Contents),
                    model.Script.CachedPromptTokens,
                    split.TokenCount)
                : null;
            var id = api == Api.OpenAi
                ? $"chatcmpl-testserver-{Interlocked.Increment(ref server._nextId)}"
                : $"msg_testserver_{Interlocked.Increment(ref server._nextId)}";

            if (request.Stream)
            {
                await StreamAsync(id, chunks, usage);
            }
            else
            {
                await RespondWholeAsync(id, reply, chunks.Count, usage);
            }
        }

        private long ContentDeadline(int index, int chunkCount)
        {
            var ms = model.Script.TtftMs + queuedMs + (index * model.Script.InterChunkDelayMs);
            if (fault?.Kind == FaultKind.SlowDrip)
            {
                ms += (index + 1) * fault.StallMs;
            }
            else if (fault?.Kind == FaultKind.StallMidStream && index >= FaultAt(chunkCount))
            {
                ms += fault.StallMs;
            }

            return DeadlineClock.After(arrival, ms);
        }

        private static int FaultAt(int chunkCount) => chunkCount / 2;

        private async Task StreamAsync(string id, IReadOnlyList<string> chunks, Frames.Usage? usage)
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream; charset=utf-8";
            response.Headers.CacheControl = "no-cache";
            record.StatusCode = StatusCodes.Status200OK;

            var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var openAiUsage = usage is not null && request.StreamUsage;
            byte[][] content;
            byte[][] tail;
            if (api == Api.OpenAi)
            {
                await WriteAsync(Frames.OpenAiRole(id, created, model.Name, openAiUsage));
                content = chunks.Select(c => Frames.OpenAiContent(id, created, model.Name, openAiUsage, c)).ToArray();
                tail = openAiUsage
                    ? [Frames.OpenAiFinish(id, created, model.Name, true), Frames.OpenAiUsageChunk(id, created, model.Name, usage!), Frames.OpenAiDone]
                    : [Frames.OpenAiFinish(id, created, model.Name, false), Frames.OpenAiDone];
            }
            else
            {
                await WriteAsync(Frames.AnthropicMessageStart(id, model.Name, usage));
                await WriteAsync(Frames.AnthropicBlockStart);
                await WriteAsync(Frames.AnthropicPing);
                content = chunks.Select(Frames.AnthropicDelta).ToArray();
                tail = [Frames.AnthropicBlockStop, Frames.AnthropicMessageDelta(usage), Frames.AnthropicMessageStop];
            }

            var cuts = fault?.Kind is FaultKind.ResetMidStream or FaultKind.TruncatedStream or FaultKind.InvalidJsonChunk;
            var cutAfter = cuts ? FaultAt(content.Length) : content.Length;
            var frames = content[..cutAfter].ToList();
            var deadlines = Enumerable.Range(0, cutAfter).Select(i => ContentDeadline(i, content.Length)).ToList();
            if (!cuts)
            {
                // The end of the answer leaves with its last token, as a real server's does.
                var end = cutAfter > 0 ? deadlines[^1] : ContentDeadline(0, 0);
                frames.AddRange(tail);
                deadlines.AddRange(Enumerable.Repeat(end, tail.Length));
            }

            await server._clock.WriteWhenDueAsync(new ScheduledFrames(
                context.Response.BodyWriter, frames, [.. deadlines], cutAfter > 0 ? FirstContentWritten : null, cuts ? null : CompleteAnswer, _aborted));
            switch (fault?.Kind)
            {
                case FaultKind.ResetMidStream:
                    await AbortWhenReadAsync(ContentDeadline(cutAfter, content.Length));
                    return;
                case FaultKind.TruncatedStream:
                    return;
                case FaultKind.InvalidJsonChunk:
                    await WriteAsync(api == Api.OpenAi ? Frames.OpenAiInvalidJson : Frames.AnthropicInvalidJson);
                    return;
            }
        }

        private async Task StreamToolCallsAsync(List<ScriptedToolCall> calls)
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream; charset=utf-8";
            record.StatusCode = StatusCodes.Status200OK;
            var number = Interlocked.Increment(ref server._nextId);
            var tokens = calls.Sum(c => ReplyTokens.Split(c.Name + " " + c.Arguments).Count);
            var usage = new Frames.Usage(model.Script.PromptTokens ?? ReplyTokens.CountWords(request.Contents), model.Script.CachedPromptTokens, tokens);
            var frames = new List<byte[]>();
            if (api == Api.OpenAi)
            {
                var id = $"chatcmpl-testserver-{number}";
                var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                await WriteAsync(Frames.OpenAiRole(id, created, model.Name, request.StreamUsage));
                for (var i = 0; i < calls.Count; i++)
                {
                    var half = calls[i].Arguments.Length / 2;
                    frames.Add(Frames.OpenAiToolCall(id, created, model.Name, request.StreamUsage, i, $"call_{number}_{i}", calls[i].Name, calls[i].Arguments[..half]));
                    frames.Add(Frames.OpenAiToolCall(id, created, model.Name, request.StreamUsage, i, null, null, calls[i].Arguments[half..]));
                }

                frames.Add(Frames.OpenAiFinish(id, created, model.Name, request.StreamUsage, "tool_calls"));
                if (request.StreamUsage)
                {
                    frames.Add(Frames.OpenAiUsageChunk(id, created, model.Name, usage));
                }

                frames.Add(Frames.OpenAiDone);
            }
            else
            {
                await WriteAsync(Frames.AnthropicMessageStart($"msg_testserver_{number}", model.Name, usage));
                for (var i = 0; i < calls.Count; i++)
                {
                    var half = calls[i].Arguments.Length / 2;
                    frames.Add(Frames.AnthropicToolUseStart(i, $"toolu_{number}_{i}", calls[i].Name));
                    frames.Add(Frames.AnthropicInputJsonDelta(i, calls[i].Arguments[..half]));
                    frames.Add(Frames.AnthropicInputJsonDelta(i, calls[i].Arguments[half..]));
                    frames.Add(Frames.AnthropicBlockStopAt(i));
                }

                frames.Add(Frames.AnthropicMessageDelta(usage, "tool_use"));
                frames.Add(Frames.AnthropicMessageStop);
            }

            var deadlines = Enumerable.Repeat(ContentDeadline(0, frames.Count), frames.Count).ToArray();
            await server._clock.WriteWhenDueAsync(new ScheduledFrames(context.Response.BodyWriter, frames, deadlines, FirstContentWritten, CompleteAnswer, _aborted));
        }

        private async Task RespondWholeAsync(string id, string reply, int chunkCount, Frames.Usage? usage)
        {
            var body = api == Api.OpenAi
                ? Frames.OpenAiCompletion(id, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model.Name, reply, usage)
                : Frames.AnthropicMessage(id, model.Name, reply, usage);
            await server._clock.WaitUntilAsync(ContentDeadline(Math.Max(0, chunkCount - 1), chunkCount), _aborted);

            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            record.StatusCode = StatusCodes.Status200OK;
            switch (fault?.Kind)
            {
                case FaultKind.ResetMidStream:
                    await WriteAsync(body.AsMemory(0, body.Length / 2));
                    await AbortWhenReadAsync(Stopwatch.GetTimestamp());
                    return;
                case FaultKind.TruncatedStream:
                    await WriteAsync(body.AsMemory(0, body.Length / 2));
                    return;
                case FaultKind.InvalidJsonChunk:
                    await WriteAsync("{not json"u8.ToArray());
                    return;
            }

            await WriteAsync(body);
            record.Completed = true;
        }

        /// <summary>
        /// The reset reaches the client as an RST, which makes its kernel drop any bytes the client has
        /// not read yet; waiting a little lets the client see the partial stream before it breaks.
        /// </summary>
        // Runs on the deadline clock's thread right after the last frame: marked before the client can see the end.
        private Task CompleteAnswer()
        {
            record.Completed = true;
            return context.Response.CompleteAsync();
        }

        // Runs on the deadline clock's thread as the first content frame is written.
        private void FirstContentWritten(long deadline, long writtenAt)
        {
            record.FirstContentTimestamp = writtenAt;
            server._lateness.Add(writtenAt - deadline);
        }

        private async Task AbortWhenReadAsync(long dueAt)
        {
            await server._clock.WaitUntilAsync(Math.Max(dueAt, DeadlineClock.After(Stopwatch.GetTimestamp(), ResetGraceMs)), _aborted);
            context.Abort();
        }

        private async Task RateLimitAsync(FaultRule rule)
        {
            var response = context.Response;
            if (rule.RetryAfterSeconds is { } seconds)
            {
                response.Headers.RetryAfter = ((long)Math.Ceiling(seconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                response.Headers["retry-after-ms"] = ((long)Math.Ceiling(seconds * 1000)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            await WriteErrorAsync(context, record, StatusCodes.Status429TooManyRequests, ErrorBody(
                api, "requests", "rate_limit_exceeded", "rate_limit_error",
                "Rate limit reached for requests (scripted by the test server)."));
        }

        private Task ServerErrorAsync(FaultRule rule) =>
            WriteErrorAsync(context, record, rule.StatusCode, ErrorBody(
                api, "server_error", null, rule.StatusCode == 529 ? "overloaded_error" : "api_error",
                $"The server had an error while processing your request (scripted status {rule.StatusCode})."));

        private async Task WriteAsync(ReadOnlyMemory<byte> frame)
        {
            // PipeWriter.WriteAsync flushes, so each event leaves the server as soon as it is due.
            var result = await context.Response.BodyWriter.WriteAsync(frame, _aborted);
            if (result.IsCanceled || result.IsCompleted)
            {
                throw new OperationCanceledException(_aborted);
            }
        }
    }
}
