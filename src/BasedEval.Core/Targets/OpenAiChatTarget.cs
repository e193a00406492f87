using System.Net.Http.Headers;
using System.Text.Json;
using BasedEval.Core.Config;

namespace BasedEval.Core.Targets;

/// <summary>
/// OpenAI-compatible chat completions over SSE: OpenAI itself, vLLM, llama-server, Ollama, TGI, SGLang and any host that
/// speaks the same protocol. Usage comes from the final chunk that <c>stream_options.include_usage</c> asks for.
/// </summary>
public sealed class OpenAiChatTarget(TargetConfig config, string? apiKey, HttpMessageHandler? handler = null)
    : HttpTargetBase(config, ChatCompletionsUrl(config.BaseUrl ?? "https://api.openai.com/v1"), apiKey, handler)
{
    protected override string ProviderName => "openai";

    protected override string EndMarker => "data: [DONE]";

    public static string ChatCompletionsUrl(string baseUrl) => baseUrl.TrimEnd('/') + "/chat/completions";

    protected override ReadOnlyMemory<byte> BuildBody(TargetRequest request)
    {
        var buffer = BodyBuffer(request);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", Config.Model);
            WriteMessages(json, request.Messages);
            json.WriteBoolean("stream", true);
            json.WriteStartObject("stream_options");
            json.WriteBoolean("include_usage", true);
            json.WriteEndObject();
            var sampling = request.Sampling;
            if (sampling.Temperature is { } temperature)
            {
                json.WriteNumber("temperature", temperature);
            }

            if (sampling.TopP is { } topP)
            {
                json.WriteNumber("top_p", topP);
            }

            if (sampling.MaxTokens is { } maxTokens)
            {
                json.WriteNumber("max_tokens", maxTokens);
            }

            if (sampling.Seed is { } seed)
            {
                json.WriteNumber("seed", seed);
            }

            WriteStructured(json, request);
            json.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    private static void WriteStructured(Utf8JsonWriter json, TargetRequest request)
    {
        if (request.Tools.Count > 0)
        {
            json.WriteStartArray("tools");
            foreach (var tool in request.Tools)
            {
                json.WriteStartObject();
                json.WriteString("type", "function");
                json.WriteStartObject("function");
                json.WriteString("name", tool.Name);
                json.WriteString("description", tool.Description);
                json.WritePropertyName("parameters");
                json.WriteRawValue(tool.ParametersSchema);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        if (request.ResponseFormat is { } format)
        {
            json.WriteStartObject("response_format");
            json.WriteString("type", "json_schema");
            json.WriteStartObject("json_schema");
            json.WriteString("name", format.Name);
            json.WritePropertyName("schema");
            json.WriteRawValue(format.Schema);
            json.WriteBoolean("strict", format.Strict);
            json.WriteEndObject();
            json.WriteEndObject();
        }
    }

    protected override void AddHeaders(HttpRequestHeaders headers)
    {
        if (!string.IsNullOrEmpty(ApiKey))
        {
            headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        }
    }

    protected override bool OnEvent(string eventType, string data, double offsetMs, StreamState state)
    {
        if (data.AsSpan().Trim().SequenceEqual("[DONE]"))
        {
            state.Completed = true;
            return true;
        }

        using (var document = ParseEventObject(eventType, data))
        {
            var root = document.RootElement;
            if (root.TryGetProperty("error", out var error))
            {
                throw StreamError(error);
            }

            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
            {
                state.AnswerSeen = true;
                var choice = choices[0];
                if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
                {
                    var content = StringOrEmpty(delta, "content");
                    // Hosts name reasoning differently (vLLM and DeepSeek: reasoning_content, others: reasoning); either is output.
                    var reasoning = StringOrEmpty(delta, "reasoning_content") + StringOrEmpty(delta, "reasoning");
                    var toolCharacters = delta.TryGetProperty("tool_calls", out var tools) && tools.ValueKind == JsonValueKind.Array ? AddToolCalls(tools, state) : 0;
                    if (content.Length + reasoning.Length + toolCharacters > 0)
                    {
                        state.AddOutput(offsetMs, content, content.Length + reasoning.Length + toolCharacters);
                    }
                }

                if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
                {
                    state.FinishReason = finish.GetString();
                }
            }

            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                state.InputTokens = IntOrNull(usage, "prompt_tokens");
                state.OutputTokens = IntOrNull(usage, "completion_tokens");
                if (usage.TryGetProperty("prompt_tokens_details", out var promptDetails) && promptDetails.ValueKind == JsonValueKind.Object)
                {
                    state.CachedInputTokens = IntOrNull(promptDetails, "cached_tokens") ?? 0;
                }

                if (usage.TryGetProperty("completion_tokens_details", out var completionDetails) && completionDetails.ValueKind == JsonValueKind.Object)
                {
                    state.ReasoningTokens = IntOrNull(completionDetails, "reasoning_tokens") ?? 0;
                }
            }
        }

        return false;
    }

    /// <summary>Accumulates tool-call deltas; returns how many characters of call text they carried, for the chunk's token share.</summary>
    private static int AddToolCalls(JsonElement toolCalls, StreamState state)
    {
        var characters = 0;
        foreach (var call in toolCalls.EnumerateArray())
        {
            if (call.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var index = IntOrNull(call, "index") ?? 0;
            var function = call.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
            var name = function.ValueKind == JsonValueKind.Object ? StringOrEmpty(function, "name") : string.Empty;
            var arguments = function.ValueKind == JsonValueKind.Object ? StringOrEmpty(function, "arguments") : string.Empty;
            state.AddToolCall(index, StringOrEmpty(call, "id"), name, arguments);
            characters += name.Length + arguments.Length;
        }

        // A delta that only opens a call still counts as output, as DESIGN.md defines TTFT.
        return Math.Max(characters, 1);
    }

    private TargetException StreamError(JsonElement error)
    {
        var message = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) ? m.ToString() : error.GetRawText();
        var code = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var c) ? c.ToString() : string.Empty;
        var kind = code.Contains("rate", StringComparison.OrdinalIgnoreCase) ? TargetErrorKind.RateLimited : TargetErrorKind.ServerError;
        return new TargetException(kind, $"{Name}: the server reported an error mid-stream: {message}");
    }
}
