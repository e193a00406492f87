using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using BasedEval.Core.Suites;
using BasedEval.Core.Targets;
using BasedEval.LlamaCpp.Grammar;

namespace BasedEval.LlamaCpp;

/// <summary>What a local model is given for a request with tools or a response_format.</summary>
/// <param name="Messages">The request's messages, the system message extended with the tools or the schema.</param>
/// <param name="Grammar">The constraint on the output; null when there is none to apply.</param>
/// <param name="Unenforced">Schema keywords the grammar cannot guarantee, left to the model.</param>
public sealed record LocalStructuredRequest(IReadOnlyList<ChatMessage> Messages, LlamaGrammar? Grammar, IReadOnlyList<string> Unenforced);

/// <summary>
/// Tools and response_format for a model run in-process, where no server turns them into a prompt and a parser: the tools
/// are described in the system message in the Hermes format (the one Qwen's and Hermes' chat templates render, which many
/// open models are trained on) and calls are read back from <c>&lt;tool_call&gt;</c> blocks; a response_format's schema is
/// stated in the system message. With constraining on, a grammar from the schemas makes every call and every answer
/// follow them, as llama-server does.
/// </summary>
public static class LocalStructuredOutput
{
    // As the model should read it: no \u escapes for quotes, angle brackets or letters outside ASCII.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <exception cref="NotSupportedException">A schema admits no value or refers outside itself.</exception>
    /// <exception cref="JsonException">A schema is not JSON.</exception>
    public static LocalStructuredRequest Prepare(TargetRequest request, bool constrain)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Tools.Count > 0)
        {
            var grammar = constrain ? JsonSchemaGrammar.ForToolCalls(request.Tools) : null;
            return new LocalStructuredRequest(
                WithSystemText(request.Messages, ToolsInstruction(request.Tools)),
                grammar is null ? null : new LlamaGrammar(grammar.Text, JsonSchemaGrammar.ToolCallOpen),
                grammar?.Unenforced ?? []);
        }

        if (request.ResponseFormat is { } format)
        {
            var grammar = constrain ? JsonSchemaGrammar.ForResponse(format.Schema) : null;
            var instruction = $"Answer with one JSON value and nothing else. It must follow this JSON Schema:\n{Minified(format.Schema)}";
            return new LocalStructuredRequest(
                WithSystemText(request.Messages, instruction),
                grammar is null ? null : new LlamaGrammar(grammar.Text),
                grammar?.Unenforced ?? []);
        }

        return new LocalStructuredRequest(request.Messages, null, []);
    }

    /// <summary>
    /// The calls in <paramref name="output"/>'s <c>&lt;tool_call&gt;</c> blocks and the text outside them. A block that is not
    /// a JSON object with a name (cut off by the token limit, say) still counts as a call, with its raw text as the arguments,
    /// so that scoring says the arguments were invalid rather than that no call was made.
    /// </summary>
    public static (string Text, IReadOnlyList<ToolCall> Calls) ReadToolCalls(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var calls = new List<ToolCall>();
        var text = new StringBuilder();
        var position = 0;
        while (true)
        {
            var open = output.IndexOf(JsonSchemaGrammar.ToolCallOpen, position, StringComparison.Ordinal);
            if (open < 0)
            {
                text.Append(output, position, output.Length - position);
                break;
            }

            text.Append(output, position, open - position);
            var bodyStart = open + JsonSchemaGrammar.ToolCallOpen.Length;
            var close = output.IndexOf(JsonSchemaGrammar.ToolCallClose, bodyStart, StringComparison.Ordinal);
            var body = (close < 0 ? output[bodyStart..] : output[bodyStart..close]).Trim();
            calls.Add(ReadCall(body, $"call_{calls.Count}"));
            if (close < 0)
            {
                break;
            }

            position = close + JsonSchemaGrammar.ToolCallClose.Length;
        }

        return (text.ToString().Trim(), calls);
    }

    private static ToolCall ReadCall(string body, string id)
    {
        try
        {
            using var call = JsonDocument.Parse(body);
            if (call.RootElement.ValueKind == JsonValueKind.Object
                && call.RootElement.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
            {
                var arguments = call.RootElement.TryGetProperty("arguments", out var value)
                    ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()
                    : "{}";
                return new ToolCall(id, name.GetString()!, arguments);
            }
        }
        catch (JsonException)
        {
            // Not JSON: kept whole below.
        }

        return new ToolCall(id, string.Empty, body);
    }

    private static string ToolsInstruction(IReadOnlyList<ToolDefinition> tools)
    {
        var text = new StringBuilder("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n")
            .Append("You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n");
        foreach (var tool in tools)
        {
            using var parameters = JsonDocument.Parse(tool.ParametersSchema);
            var signature = new { type = "function", function = new { name = tool.Name, description = tool.Description, parameters = parameters.RootElement } };
            text.Append(JsonSerializer.Serialize(signature, Readable)).Append('\n');
        }

        return text.Append("</tools>\n\nFor each function call, return a json object with function name and arguments within ")
            .Append("<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>")
            .ToString();
    }

    private static IReadOnlyList<ChatMessage> WithSystemText(IReadOnlyList<ChatMessage> messages, string addition)
    {
        if (messages.Count > 0 && messages[0].Role == "system")
        {
            return [messages[0] with { Content = messages[0].Content + "\n\n" + addition }, .. messages.Skip(1)];
        }

        return [new ChatMessage("system", addition), .. messages];
    }

    private static string Minified(string json)
    {
        using var document = JsonDocument.Parse(json);
        return JsonSerializer.Serialize(document.RootElement, Readable);
    }
}
