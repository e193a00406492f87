using System.Text.Json;
using System.Text.Json.Serialization;

namespace BasedEval.TestServer;

/// <summary>
/// What the server answers, per model. In JSON (for the standalone executable) property names and
/// enum values are snake_case; dictionary keys (model names, item keys) are taken verbatim.
/// </summary>
public sealed class ServerScript
{
    // Reflection rather than source generation: generated code assigns every init-only property,
    // so a field missing from the JSON would lose its initializer (TokensPerChunk and Attempts would read 0).
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Keyed by the request's "model".</summary>
    public Dictionary<string, ModelScript> Models { get; init; } = new();

    public static ServerScript FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return JsonSerializer.Deserialize<ServerScript>(json, JsonOptions)
            ?? throw new JsonException("The script is the JSON literal null; expected an object with \"models\".");
    }

    public static ServerScript Load(string path) => FromJson(File.ReadAllText(path));

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}

public sealed class ModelScript
{
    /// <summary>
    /// Regex with one capture group, applied to the concatenated message contents (system prompt
    /// included, joined by newlines); the captured text is the item key that selects the reply.
    /// </summary>
    public string? KeyPattern { get; init; }

    public Dictionary<string, string> Replies { get; init; } = new();

    /// <summary>Sent when there is no key or no reply for the key.</summary>
    public string DefaultReply { get; init; } = "";

    /// <summary>
    /// Keys answered with function calls instead of text (streamed requests only): OpenAI tool_calls deltas with finish
    /// reason tool_calls, or Anthropic tool_use blocks with stop reason tool_use. Each call's arguments are streamed in two
    /// pieces, so clients must join them. Takes precedence over <see cref="Replies"/>; faults do not apply.
    /// </summary>
    public Dictionary<string, List<ScriptedToolCall>> ToolCallReplies { get; init; } = new();

    /// <summary>From request arrival to the first content-bearing chunk.</summary>
    public double TtftMs { get; init; }

    /// <summary>
    /// Added to the TTFT for every other request of this model in flight when a request arrives, so latency grows with
    /// load the way a saturated server's queue makes it; 0 keeps latency independent of load.
    /// </summary>
    public double TtftPerInFlightMs { get; init; }

    /// <summary>Between consecutive content chunks.</summary>
    public double InterChunkDelayMs { get; init; }

    public int TokensPerChunk { get; init; } = 1;

    /// <summary>
    /// Reported prompt tokens, cached ones included (the OpenAI meaning; Anthropic's input_tokens is
    /// this minus <see cref="CachedPromptTokens"/>). Default: whitespace-separated words in all messages.
    /// </summary>
    public int? PromptTokens { get; init; }

    public int CachedPromptTokens { get; init; }

    /// <summary>
    /// False makes the model a server that reports no usage at all. OpenAI streams carry usage only
    /// when the request also asked for stream_options.include_usage.
    /// </summary>
    public bool IncludeUsage { get; init; } = true;

    /// <summary>
    /// Checked in order. For one key the selected rules take turns: the first selected rule fires on
    /// that key's first Attempts requests, the next selected rule on the following ones, and so on;
    /// after that the key is served normally.
    /// </summary>
    public List<FaultRule> Faults { get; init; } = new();
}

/// <summary>One function call a scripted model makes. <see cref="Arguments"/> is sent verbatim, so it may be invalid JSON on purpose.</summary>
public sealed class ScriptedToolCall
{
    public string Name { get; init; } = "";

    public string Arguments { get; init; } = "{}";
}

public enum FaultKind
{
    /// <summary>429, with Retry-After when <see cref="FaultRule.RetryAfterSeconds"/> is set.</summary>
    [JsonStringEnumMemberName("rate_limit")]
    RateLimit,

    /// <summary><see cref="FaultRule.StatusCode"/> with a JSON error body.</summary>
    [JsonStringEnumMemberName("server_error")]
    ServerError,

    /// <summary>The connection is aborted before any response byte.</summary>
    [JsonStringEnumMemberName("reset_before_headers")]
    ResetBeforeHeaders,

    /// <summary>Half the content chunks, then the connection is aborted.</summary>
    [JsonStringEnumMemberName("reset_mid_stream")]
    ResetMidStream,

    /// <summary>Half the content chunks, then a clean end without the finish events.</summary>
    [JsonStringEnumMemberName("truncated_stream")]
    TruncatedStream,

    /// <summary>Half the content chunks, then an event whose data is not JSON, then a clean end.</summary>
    [JsonStringEnumMemberName("invalid_json_chunk")]
    InvalidJsonChunk,

    /// <summary>Half the content chunks, then no bytes for StallMs, then the rest.</summary>
    [JsonStringEnumMemberName("stall_mid_stream")]
    StallMidStream,

    /// <summary>A 200 stream whose events carry no answer (OpenAI: chunks with <c>choices: []</c>; Anthropic: no message), then a clean end.</summary>
    [JsonStringEnumMemberName("empty_choices")]
    EmptyChoices,

    /// <summary>Every content chunk comes StallMs later than the one before would have.</summary>
    [JsonStringEnumMemberName("slow_drip")]
    SlowDrip,
}

public sealed class FaultRule
{
    public FaultKind Kind { get; init; }

    /// <summary>Share of keys this rule hits, chosen deterministically from (Seed, key).</summary>
    public double Fraction { get; init; }

    public int Seed { get; init; }

    /// <summary>How many requests for a selected key the fault fires on before the key is served normally.</summary>
    public int Attempts { get; init; } = 1;

    /// <summary>For <see cref="FaultKind.ServerError"/>.</summary>
    public int StatusCode { get; init; } = 500;

    /// <summary>For <see cref="FaultKind.RateLimit"/>: Retry-After (whole seconds, rounded up) and retry-after-ms.</summary>
    public double? RetryAfterSeconds { get; init; }

    /// <summary>For <see cref="FaultKind.StallMidStream"/> and <see cref="FaultKind.SlowDrip"/>.</summary>
    public double StallMs { get; init; }

    /// <summary>
    /// Whether this rule selects the key. Stable across processes and runs, so tests can predict
    /// exactly which items are faulted.
    /// </summary>
    public bool Selects(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Fraction > 0 && StableHash.UnitInterval(Seed, key) < Fraction;
    }
}
