using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
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
public sealed partial class TestLlmServer : IAsyncDisposable
{
    private const string OpenAiPath = "/v1/chat/completions";
    private const string AnthropicPath = "/v1/messages";
    private const double ResetGraceMs = 50;

    private readonly WebApplication _app;
    private readonly DeadlineClock _clock;
    private readonly ConcurrentDictionary<string, CompiledModel> _models;
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
        _models = new ConcurrentDictionary<string, CompiledModel>(script.Models.Select(pair => KeyValuePair.Create(pair.Key, new CompiledModel(pair.Key, pair.Value))), StringComparer.Ordinal);
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

    /// <summary>A release: the model is listed by /v1/models and answers from now on.</summary>
    public void AddModel(string name, ModelScript script) => _models[name] = new CompiledModel(name, script);

    /// <summary>A withdrawal: the model is no longer listed and is unknown to requests.</summary>
    public void RemoveModel(string name) => _models.TryRemove(name, out _);

    /// <summary>When set, /v1/models answers this status and body instead of the list: an outage or a broken gateway.</summary>
    public (int Status, string Body)? ModelListOverride { get; set; }

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
        if (ModelListOverride is var (status, body))
        {
            context.Response.StatusCode = status;
            await context.Response.WriteAsync(body, context.RequestAborted);
            return;
        }

        var anthropic = context.Request.Headers.ContainsKey("anthropic-version");
        var all = _models.Keys.Order(StringComparer.Ordinal).ToList();
        var names = all;
        var hasMore = false;
        if (anthropic)
        {
            // Anthropic pages its list: `limit` ids (default 20) after `after_id`, with has_more and last_id to go on.
            var query = context.Request.Query;
            var limit = int.TryParse(query["limit"], out var asked) && asked > 0 ? asked : 20;
            var start = query["after_id"].FirstOrDefault() is { } after ? all.IndexOf(after) + 1 : 0;
            names = all.Skip(start).Take(limit).ToList();
            hasMore = start + names.Count < all.Count;
        }

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
                w.WriteBoolean("has_more", hasMore);
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
}
