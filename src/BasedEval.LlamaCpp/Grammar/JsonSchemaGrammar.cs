using System.Globalization;
using System.Text.Json;
using BasedEval.Core.Suites;

namespace BasedEval.LlamaCpp.Grammar;

/// <summary>
/// A GBNF grammar and the schema keywords it cannot guarantee (numeric upper bounds, <c>multipleOf</c>, <c>format</c>, …):
/// output that follows the grammar is valid JSON of the schema's shape, but those constraints are left to the model.
/// </summary>
public sealed record SchemaGrammar(string Text, IReadOnlyList<string> Unenforced);

/// <summary>
/// Turns JSON Schemas into GBNF grammars for llama.cpp's grammar sampler: the local counterpart of OpenAI's strict
/// <c>response_format</c> and of constrained tool-call arguments. Objects are generated with their declared properties in
/// declared order (required ones always, optional ones maybe); strings, numbers and arrays honour the length, sign and
/// count bounds a grammar can express.
/// </summary>
public static class JsonSchemaGrammar
{
    /// <summary>Where a tool call starts in the model's output; generation is constrained from there on.</summary>
    public const string ToolCallOpen = "<tool_call>";

    public const string ToolCallClose = "</tool_call>";

    /// <summary>The most tool calls one answer may make: a bound, so that an unhelpful model cannot call forever.</summary>
    public const int MaxToolCalls = 5;

    /// <summary>A grammar whose every sentence is a JSON value following <paramref name="schemaJson"/>.</summary>
    /// <exception cref="JsonException">The schema is not JSON.</exception>
    /// <exception cref="NotSupportedException">The schema admits no value (<c>false</c>, an empty enum).</exception>
    public static SchemaGrammar ForResponse(string schemaJson)
    {
        using var schema = JsonDocument.Parse(schemaJson);
        var rules = new GbnfRules();
        var converter = new SchemaConverter(rules, schema.RootElement);
        rules.Define("root", converter.Visit(schema.RootElement, "answer", string.Empty));
        return new SchemaGrammar(rules.ToString(), converter.Unenforced);
    }

    /// <summary>
    /// A grammar for one to <see cref="MaxToolCalls"/> calls in the Hermes format that Qwen, Hermes and many open models are
    /// trained on: <c>&lt;tool_call&gt;{"name": …, "arguments": {…}}&lt;/tool_call&gt;</c>, the name one of
    /// <paramref name="tools"/> and the arguments following that tool's parameter schema. Meant to be applied lazily from
    /// <see cref="ToolCallOpen"/> on, so that the model may answer in text instead.
    /// </summary>
    public static SchemaGrammar ForToolCalls(IReadOnlyList<ToolDefinition> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        if (tools.Count == 0)
        {
            throw new ArgumentException("No tools to call", nameof(tools));
        }

        var rules = new GbnfRules();
        var unenforced = new SortedSet<string>(StringComparer.Ordinal);
        var calls = new List<string>();
        foreach (var tool in tools)
        {
            using var schema = JsonDocument.Parse(tool.ParametersSchema);
            var converter = new SchemaConverter(rules, schema.RootElement);
            var arguments = converter.Visit(schema.RootElement, tool.Name + "-arguments", string.Empty);
            foreach (var keyword in converter.Unenforced)
            {
                unenforced.Add($"{tool.Name}: {keyword}");
            }

            var name = SchemaConverter.JsonLiteral(tool.Name);
            calls.Add(rules.Add(tool.Name + "-call", $"{name} ws \",\" ws \"\\\"arguments\\\"\" ws \":\" ws {arguments}"));
        }

        var call = rules.Add("call", string.Join(" | ", calls));
        var block = rules.Add(
            "tool-call",
            $"{GbnfRules.Literal(ToolCallOpen)} ws \"{{\" ws \"\\\"name\\\"\" ws \":\" ws {call} ws \"}}\" ws {GbnfRules.Literal(ToolCallClose)}");
        rules.Define("root", string.Create(CultureInfo.InvariantCulture, $"{block} (ws {block}){{0,{MaxToolCalls - 1}}}"));
        return new SchemaGrammar(rules.ToString(), [.. unenforced]);
    }
}
