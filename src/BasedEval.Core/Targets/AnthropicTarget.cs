using System.Net.Http.Headers;
using System.Text.Json;
using BasedEval.Core.Config;

namespace BasedEval.Core.Targets;

/// <summary>
/// Anthropic Messages over SSE. System turns move to the top-level <c>system</c> field, as the API requires;
/// input tokens arrive in <c>message_start</c>, output tokens in the last <c>message_delta</c>.
/// </summary>
public sealed class AnthropicTarget(TargetConfig config, string? apiKey, HttpMessageHandler? handler = null)
    : HttpTargetBase(config, MessagesUrl(config.BaseUrl ?? "https://api.anthropic.com"), apiKey, handler)
{
    public const string ApiVersion = "2023-06-01";

    /// <summary>The API requires max_tokens; this is used when evals.yaml sets none.</summary>
    public const int DefaultMaxTokens = 4096;

    protected override string ProviderName => "anthropic";

    protected override string EndMarker => "event: message_stop";

    public static string MessagesUrl(string baseUrl)
    {
        var trimmed = baseUrl.TrimEnd('/');
        return trimmed.EndsWith("/v1", StringComparison.Ordinal) ? trimmed + "/messages" : trimmed + "/v1/messages";
    }

    protected override ReadOnlyMemory<byte> BuildBody(TargetRequest request)
    {
        var buffer = BodyBuffer(request);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", Config.Model);
            var system = string.Join("\n\n", request.Messages.Where(m => m.Role == "system").Select(m => m.Content));
            if (system.Length > 0)
            {
                json.WriteString("system", system);
            }

            WriteMessages(json, request.Messages.Where(m => m.Role != "system"));
            json.WriteNumber("max_tokens", request.Sampling.MaxTokens ?? DefaultMaxTokens);
            json.WriteBoolean("stream", true);
            if (request.Sampling.Temperature is { } temperature)
            {
                json.WriteNumber("temperature", temperature);
            }

            if (request.Sampling.TopP is { } topP)
            {
                json.WriteNumber("top_p", topP);
            }

            WriteFlatTools(json, request.Tools, "input_schema");

            json.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    protected override void AddHeaders(HttpRequestHeaders headers)
    {
        headers.Add("anthropic-version", ApiVersion);
        if (!string.IsNullOrEmpty(ApiKey))
        {
            headers.Add("x-api-key", ApiKey);
        }
    }

    protected override bool OnEvent(string eventType, string data, double offsetMs, StreamState state)
    {
        if (eventType == "ping")
        {
            return false;
        }

        using (var document = ParseEventObject(eventType, data))
        {
            var root = document.RootElement;

            switch (eventType)
            {
                case "message_start":
                    state.AnswerSeen = true;
                    if (root.TryGetProperty("message", out var message) && message.TryGetProperty("usage", out var startUsage))
                    {
                        var input = IntOrNull(startUsage, "input_tokens") ?? 0;
                        var cacheRead = IntOrNull(startUsage, "cache_read_input_tokens") ?? 0;
                        var cacheWrite = IntOrNull(startUsage, "cache_creation_input_tokens") ?? 0;
                        // Anthropic counts cached reads and cache writes apart from input_tokens; the cost formula wants
                        // all input with the cached share named, so they are folded together here.
                        state.InputTokens = input + cacheRead + cacheWrite;
                        state.CachedInputTokens = cacheRead;
                        state.OutputTokens ??= IntOrNull(startUsage, "output_tokens");
                    }

                    break;
                case "content_block_start":
                    if (root.TryGetProperty("content_block", out var block) && block.ValueKind == JsonValueKind.Object
                        && StringOrEmpty(block, "type") == "tool_use")
                    {
                        var name = StringOrEmpty(block, "name");
                        state.AddToolCall(IntOrNull(root, "index") ?? 0, StringOrEmpty(block, "id"), name, string.Empty);
                        state.AddOutput(offsetMs, string.Empty, name.Length);
                    }

                    break;
                case "content_block_delta":
                    if (root.TryGetProperty("delta", out var delta))
                    {
                        var type = StringOrEmpty(delta, "type");
                        if (type == "input_json_delta")
                        {
                            state.AddToolCall(IntOrNull(root, "index") ?? 0, null, null, StringOrEmpty(delta, "partial_json"));
                        }

                        var text = type == "text_delta" ? StringOrEmpty(delta, "text") : string.Empty;
                        var other = type switch
                        {
                            "thinking_delta" => StringOrEmpty(delta, "thinking").Length,
                            "input_json_delta" => StringOrEmpty(delta, "partial_json").Length,
                            _ => 0,
                        };
                        if (text.Length + other > 0)
                        {
                            state.AddOutput(offsetMs, text, text.Length + other);
                        }
                    }

                    break;
                case "message_delta":
                    if (root.TryGetProperty("delta", out var messageDelta))
                    {
                        var stop = StringOrEmpty(messageDelta, "stop_reason");
                        if (stop.Length > 0)
                        {
                            state.FinishReason = stop;
                        }
                    }

                    if (root.TryGetProperty("usage", out var deltaUsage) && IntOrNull(deltaUsage, "output_tokens") is { } output)
                    {
                        state.OutputTokens = output;
                    }

                    break;
                case "message_stop":
                    state.Completed = true;
                    return true;
                case "error":
                    var error = root.TryGetProperty("error", out var e) ? e : root;
                    var errorType = StringOrEmpty(error, "type");
                    var kind = errorType is "overloaded_error" or "rate_limit_error" ? TargetErrorKind.RateLimited : TargetErrorKind.ServerError;
                    throw new TargetException(kind, $"{Name}: the server reported `{errorType}` mid-stream: {StringOrEmpty(error, "message")}");
            }
        }

        return false;
    }
}
