using System.Text.Json;

namespace BasedEval.TestServer;

/// <summary>One request as the server saw it, including the ones it rejected or faulted.</summary>
public sealed class RecordedRequest
{
    // Written by the request's handler while a test may be reading.
    private volatile int _statusCode;
    private volatile bool _completed;

    /// <summary>"/v1/chat/completions" or "/v1/messages".</summary>
    public required string Path { get; init; }

    /// <summary>The request's "model"; empty when the body had none.</summary>
    public required string Model { get; init; }

    /// <summary>What the model's KeyPattern captured; null without a pattern or a match.</summary>
    public string? Key { get; init; }

    /// <summary>1 for the first request with this key (or, without a key, these exact message contents) for this model.</summary>
    public int Attempt { get; init; }

    public bool Stream { get; init; }

    /// <summary>The Authorization header as sent, so tests can check which credential reached the server.</summary>
    public string? Authorization { get; init; }

    /// <summary>The x-api-key header as sent.</summary>
    public string? ApiKey { get; init; }

    public string? AnthropicVersion { get; init; }

    /// <summary>The parsed body; Undefined when it was not JSON.</summary>
    public JsonElement Body { get; init; }

    /// <summary>Stopwatch timestamp taken when the request reached the server's pipeline.</summary>
    public long ArrivalTimestamp { get; init; }

    /// <summary>The wall-clock time of <see cref="ArrivalTimestamp"/>, to set against a client's request start.</summary>
    public DateTimeOffset ArrivedAt { get; init; }

    /// <summary>Stopwatch timestamp taken as the first content chunk was written and sent; 0 when none was.</summary>
    public long FirstContentTimestamp { get; internal set; }

    /// <summary>The fault applied to this request, if any.</summary>
    public FaultKind? Fault { get; init; }

    /// <summary>The status code sent; null when the connection was aborted before headers.</summary>
    public int? StatusCode
    {
        get => _statusCode == 0 ? null : _statusCode;
        internal set => _statusCode = value ?? 0;
    }

    /// <summary>Every byte of the response was written and ended normally (a stalled or slow stream that finished counts).</summary>
    public bool Completed
    {
        get => _completed;
        internal set => _completed = value;
    }

    public bool HasAuthorization => Authorization is not null;

    public bool HasApiKey => ApiKey is not null;
}
