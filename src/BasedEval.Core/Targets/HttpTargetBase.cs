using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using BasedEval.Core.Config;
using BasedEval.Core.Tokens;

namespace BasedEval.Core.Targets;

/// <summary>
/// What the OpenAI-compatible and Anthropic targets share: one pooled HttpClient sized to the target's concurrency,
/// the moment a request starts, HTTP failure classification and the SSE read loop with arrival timestamps.
/// Each subclass only writes its request body and interprets its own events.
/// </summary>
public abstract class HttpTargetBase : ITarget
{
    private readonly HttpClient _http;
    private readonly Lazy<ITokenCounter> _tokens;

    /// <param name="handler">Replaces the pooled socket handler; benchmarks use it to feed a recorded stream without a network.</param>
    protected HttpTargetBase(TargetConfig config, string endpoint, string? apiKey, HttpMessageHandler? handler)
    {
        Config = config;
        _tokens = new Lazy<ITokenCounter>(() => TokenCounters.For(config));
        Endpoint = new Uri(endpoint);
        ApiKey = apiKey;
        handler ??= new SocketsHttpHandler
        {
            MaxConnectionsPerServer = config.MaxConcurrency,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(Math.Min(30, config.Timeout.TotalSeconds)),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectCallback = KernelTimestampedStream.Supported ? KernelTimestampedStream.ConnectAsync : null,
        };

        // The runner owns timeouts per attempt; the client must never cut a long stream on its own.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        Identity = new TargetIdentity(ProviderName, config.Model, Endpoint.GetLeftPart(UriPartial.Path), TargetIdentity.SamplingFingerprint(config.Sampling));
    }

    public string Name => Config.Name;

    public TargetIdentity Identity { get; }

    protected TargetConfig Config { get; }

    protected Uri Endpoint { get; }

    protected string? ApiKey { get; }

    protected abstract string ProviderName { get; }

    public async Task<TargetResponse> SendAsync(TargetRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, Endpoint)
        {
            Content = new StampedContent(BuildBody(request)),
        };
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        AddHeaders(message.Headers);

        // Read by this request's connection, which stamps it with each read's kernel receive time.
        var arrival = new ArrivalStamp();
        ArrivalStamp.Current = arrival;
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new TargetException(TargetErrorKind.Connection, $"{Name}: connection failed: {e.Message}", inner: e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await StatusFailureAsync(response, cancellationToken);
            }

            // Request start is when the request went to the socket where the connection saw it, else when its body was written.
            var content = (StampedContent)message.Content;
            var state = arrival.SentTimestamp != 0
                ? new StreamState(arrival.SentUtc, arrival.SentTimestamp) { OnText = request.OnText }
                : new StreamState(content.WrittenAtUtc, content.WrittenAtTimestamp) { OnText = request.OnText };
            var lastArrivalMs = 0.0;

            try
            {
                using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
                {
                    // Events that arrived together share a stamp; a later event is never stamped before an earlier one.
                    lastArrivalMs = Math.Max(lastArrivalMs, arrival.ArrivalMs(state.RequestStartUtc, Stopwatch.GetElapsedTime(state.StartTimestamp).TotalMilliseconds));
                    if (Handle(item.EventType, item.Data, lastArrivalMs, state))
                    {
                        break;
                    }
                }
            }
            catch (HttpRequestException e)
            {
                throw new TargetException(TargetErrorKind.Connection, $"{Name}: stream broken: {e.Message}", inner: e);
            }
            catch (IOException e)
            {
                throw new TargetException(TargetErrorKind.Connection, $"{Name}: stream broken: {e.Message}", inner: e);
            }

            // The end of the stream is the arrival of its end marker.
            var e2eMs = lastArrivalMs;
            if (!state.Completed)
            {
                throw new TargetException(TargetErrorKind.Connection, $"{Name}: the stream ended before its end marker ({EndMarker}); the answer may be cut short");
            }

            if (!state.AnswerSeen)
            {
                // A 200 whose events carry no answer at all is a broken reply, not an empty answer to score as wrong.
                throw new TargetException(TargetErrorKind.Protocol, $"{Name}: the stream ended without an answer (no event carried a choice or a message)");
            }

            return state.ToResponse(e2eMs, request, _tokens);
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected abstract string EndMarker { get; }

    protected abstract ReadOnlyMemory<byte> BuildBody(TargetRequest request);

    /// <summary>
    /// A buffer sized for the request's body up front: grown from the writer's default 256 bytes and then copied out, a
    /// few-kilobyte prompt cost several times its size in garbage, the largest share of the runner's per request.
    /// </summary>
    protected static ArrayBufferWriter<byte> BodyBuffer(TargetRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var characters = request.Messages.Sum(message => message.Content.Length);
        return new ArrayBufferWriter<byte>(1024 + characters + (characters / 8));
    }

    protected abstract void AddHeaders(HttpRequestHeaders headers);

    /// <summary>Parses one event's data as a JSON object, or fails the attempt as a protocol error naming the event.</summary>
    protected JsonDocument ParseEventObject(string eventType, string data)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(data);
        }
        catch (JsonException e)
        {
            throw new TargetException(TargetErrorKind.Protocol, $"{Name}: a `{eventType}` event is not valid JSON ({e.Message}): {Truncate(data)}", inner: e);
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new TargetException(TargetErrorKind.Protocol, $"{Name}: a `{eventType}` event is not a JSON object: {Truncate(data)}");
        }

        return document;
    }

    /// <summary>Writes chat messages the way both the OpenAI wire format and the stored request record spell them.</summary>
    public static void WriteMessages(Utf8JsonWriter json, IEnumerable<Suites.ChatMessage> messages)
    {
        json.WriteStartArray("messages");
        foreach (var message in messages)
        {
            json.WriteStartObject();
            json.WriteString("role", message.Role);
            json.WriteString("content", message.Content);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>Tools as name, description and schema under <paramref name="schemaKey"/>: Anthropic's shape, and the stored request's.</summary>
    public static void WriteFlatTools(Utf8JsonWriter json, IReadOnlyList<Suites.ToolDefinition> tools, string schemaKey)
    {
        if (tools.Count == 0)
        {
            return;
        }

        json.WriteStartArray("tools");
        foreach (var tool in tools)
        {
            json.WriteStartObject();
            json.WriteString("name", tool.Name);
            json.WriteString("description", tool.Description);
            json.WritePropertyName(schemaKey);
            json.WriteRawValue(tool.ParametersSchema);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    internal static string StringOrEmpty(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? string.Empty : string.Empty;

    internal static int? IntOrNull(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : null;

    internal static string Truncate(string text) => text.Length > 200 ? text[..200] + "…" : text;

    /// <summary>Handles one SSE event; returns true when it ends the stream.</summary>
    protected abstract bool OnEvent(string eventType, string data, double offsetMs, StreamState state);

    /// <summary>
    /// An event that is JSON but of the wrong shape (an array where an object belongs) makes JsonElement throw
    /// InvalidOperationException; for the runner that is a protocol failure like any other, never a crash.
    /// </summary>
    private bool Handle(string eventType, string data, double offsetMs, StreamState state)
    {
        try
        {
            return OnEvent(eventType, data, offsetMs, state);
        }
        catch (InvalidOperationException e)
        {
            throw new TargetException(TargetErrorKind.Protocol, $"{Name}: a `{eventType}` event has an unexpected shape ({e.Message})", inner: e);
        }
    }

    private async Task<TargetException> StatusFailureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException)
        {
            body = string.Empty;
        }

        var detail = body.Length > 300 ? body[..300] + "…" : body;
        var text = $"{Name}: HTTP {status} {response.ReasonPhrase}: {detail}".TrimEnd(' ', ':');
        var kind = TargetErrorKinds.ForStatus(status);
        return new TargetException(kind, text, kind == TargetErrorKind.ClientError ? null : RetryAfter(response), status);
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        // Fractional seconds are not valid HTTP but some gateways send them; honour them rather than ignore.
        if (response.Headers.TryGetValues("Retry-After", out var values)
            && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return null;
    }

    /// <summary>
    /// The request body, stamping the moment the handler starts writing it: request start where the connection cannot
    /// stamp its socket write itself. Headers are buffered together with the body, so either is "just before the request
    /// bytes are written" as DESIGN.md defines request start: waiting for a pooled connection or a TCP handshake is the
    /// client's queueing, not the server's latency.
    /// </summary>
    private sealed class StampedContent : HttpContent
    {
        private readonly ReadOnlyMemory<byte> _body;

        public StampedContent(ReadOnlyMemory<byte> body)
        {
            _body = body;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        public long WrittenAtTimestamp { get; private set; } = Stopwatch.GetTimestamp();

        public DateTimeOffset WrittenAtUtc { get; private set; } = DateTimeOffset.UtcNow;

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            WrittenAtTimestamp = Stopwatch.GetTimestamp();
            WrittenAtUtc = DateTimeOffset.UtcNow;
            ArrivalStamp.Current?.BodyStarted();
            return stream.WriteAsync(_body, cancellationToken).AsTask();
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }
}
