using System.Text.Json;
using System.Text.Json.Nodes;
using BasedEval.Core.Scoring;
using BasedEval.Core.Suites;
using BasedEval.Core.Targets;
using BasedEval.LlamaCpp;
using BasedEval.LlamaCpp.Grammar;
using BasedEval.LlamaCpp.Interop;
using BasedEval.Tests.Suites;

namespace BasedEval.Tests.LlamaCpp;

/// <summary>
/// Structured output on the real GGUF of the shared data. Its weights are random, so whatever it writes unconstrained is
/// noise: valid JSON that follows the schema can only come from the grammar. Random weights also never choose to close a
/// string or an array, so the generating tests bound every free string and array of the sample schemas first: then the
/// grammar alone must bring each answer to its end.
/// </summary>
public class GrammarConstrainedOutputTests
{
    private static readonly string SampleSuite = Path.Combine(Path.GetDirectoryName(SampleSuites.MmluRoot)!, "structured-sample", "structured_sample.jsonl");

    private static List<EvalItem> SampleItems() => new StructuredSuite("structured", SampleSuite).LoadItems().ToList();

    private static List<EvalItem> BoundedSampleItems() => SampleItems()
        .Select(i => i with
        {
            Tools = i.Tools.Select(t => t with { ParametersSchema = Bounded(t.ParametersSchema) }).ToList(),
            ResponseFormat = i.ResponseFormat is null ? null : i.ResponseFormat with { Schema = Bounded(i.ResponseFormat.Schema) },
        })
        .ToList();

    private static string Bounded(string schema)
    {
        var root = JsonNode.Parse(schema)!;
        Bound(root);
        return root.ToJsonString();

        static void Bound(JsonNode? node)
        {
            if (node is JsonArray array)
            {
                foreach (var element in array)
                {
                    Bound(element);
                }
            }
            else if (node is JsonObject schema)
            {
                var type = schema["type"]?.ToJsonString() ?? string.Empty;
                if (type.Contains("\"string\"", StringComparison.Ordinal) && !schema.ContainsKey("maxLength") && !schema.ContainsKey("enum") && !schema.ContainsKey("pattern"))
                {
                    schema["maxLength"] = 12;
                }

                if (type.Contains("\"array\"", StringComparison.Ordinal) && !schema.ContainsKey("maxItems"))
                {
                    schema["maxItems"] = 3;
                }

                foreach (var (_, value) in schema.ToList())
                {
                    Bound(value);
                }
            }
        }
    }

    [Fact]
    public void Every_schema_of_the_sample_suite_becomes_a_grammar_llama_cpp_accepts()
    {
        using var model = TinyLlama.Load();
        var vocab = NativeMethods.llama_model_get_vocab(model.Handle);
        var items = SampleItems();

        foreach (var item in items)
        {
            var request = new TargetRequest(item.Messages, SamplingParameters.Greedy) { Tools = item.Tools, ResponseFormat = item.ResponseFormat };
            var grammar = LocalStructuredOutput.Prepare(request, constrain: true).Grammar;
            Assert.NotNull(grammar);
            using var sampler = NativeMethods.llama_sampler_init_grammar(vocab, grammar.Text, "root");
            Assert.False(sampler.IsInvalid, $"{item.Id}: llama.cpp rejected\n{grammar.Text}");
        }
    }

    [Fact]
    public async Task Constrained_answers_are_schema_valid_JSON_and_unconstrained_noise_is_not()
    {
        var path = TinyLlama.RequirePath();
        var items = BoundedSampleItems().Where(i => i.ResponseFormat is not null).ToList();
        await using var constrained = new LlamaCppTarget(new LlamaCppTargetOptions(path) { GpuLayers = 0, ContextSize = 2048, Threads = 1 });
        await using var free = new LlamaCppTarget(new LlamaCppTargetOptions(path) { GpuLayers = 0, ContextSize = 2048, Threads = 1, ConstrainStructuredOutput = false });
        var sampling = new SamplingParameters(0, null, 400, null);

        var freeValid = 0;
        foreach (var item in items)
        {
            var request = new TargetRequest(item.Messages, sampling) { ResponseFormat = item.ResponseFormat };
            var response = await constrained.SendAsync(request, TestContext.Current.CancellationToken);

            Assert.True(response.FinishReason == "stop", $"{item.Id}: cut off after {response.Usage.OutputTokens} tokens: {response.Text}");
            using var answer = JsonDocument.Parse(response.Text);
            var unenforced = JsonSchemaGrammar.ForResponse(item.ResponseFormat!.Schema).Unenforced;
            var errors = JsonSchemaValidator.Parse(item.ResponseFormat.Schema).Validate(answer.RootElement);
            Assert.True(OnlyUnenforcedBroken(errors, unenforced), $"{item.Id}: {response.Text} breaks its schema: {string.Join("; ", errors)}");

            var unconstrained = await free.SendAsync(request with { Sampling = sampling with { MaxTokens = 64 } }, TestContext.Current.CancellationToken);
            freeValid += IsJson(unconstrained.Text) ? 1 : 0;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"constrained: {items.Count} of {items.Count} answers schema-valid JSON; unconstrained: {freeValid} of {items.Count} were JSON at all");
        Assert.True(items.Count >= 10);
        Assert.True(freeValid < items.Count / 2, $"{freeValid} of {items.Count} unconstrained answers were JSON: the model is not noise");
    }

    [Fact]
    public async Task Tool_calls_forced_by_the_grammar_name_an_offered_tool_with_schema_valid_arguments()
    {
        using var model = TinyLlama.Load();
        using var engine = new LlamaEngine(model, new LlamaEngineOptions { ContextSize = 2048, Threads = 1 });
        var items = BoundedSampleItems().Where(i => i.Tools.Count > 0).Take(4).ToList();

        foreach (var item in items)
        {
            // The target applies this grammar lazily, from the model's own <tool_call> on; applied from the first token it
            // forces a call, which random weights would never begin by themselves.
            var grammar = JsonSchemaGrammar.ForToolCalls(item.Tools);
            var prepared = LocalStructuredOutput.Prepare(new TargetRequest(item.Messages, SamplingParameters.Greedy) { Tools = item.Tools }, constrain: true);
            var prompt = model.Tokenize(model.ApplyChatTemplate(prepared.Messages).Text, addSpecial: true, parseSpecial: true);
            var text = new System.Text.StringBuilder();
            GenerationSummary? summary = null;
            await foreach (var update in engine.GenerateAsync(prompt, new LlamaSampling(MaxTokens: 1000) { Grammar = new LlamaGrammar(grammar.Text) }, TestContext.Current.CancellationToken))
            {
                text.Append(update.Text);
                summary ??= update.Summary;
            }

            Assert.True(summary!.FinishReason == LlamaFinishReason.Stop, $"{item.Id}: cut off after {summary.OutputTokens} tokens: {text}");
            var (rest, calls) = LocalStructuredOutput.ReadToolCalls(text.ToString());
            Assert.Equal(string.Empty, rest);
            Assert.InRange(calls.Count, 1, JsonSchemaGrammar.MaxToolCalls);
            foreach (var call in calls)
            {
                var tool = Assert.Single(item.Tools, t => t.Name == call.Name);
                using var arguments = JsonDocument.Parse(call.Arguments);
                var errors = JsonSchemaValidator.Parse(tool.ParametersSchema).Validate(arguments.RootElement);
                Assert.True(OnlyUnenforcedBroken(errors, grammar.Unenforced), $"{item.Id}: {call.Arguments} breaks {tool.Name}'s schema: {string.Join("; ", errors)}");
            }
        }
    }

    [Fact]
    public async Task Tools_go_into_the_system_message_and_a_text_answer_is_not_a_call()
    {
        var path = TinyLlama.RequirePath();
        await using var target = new LlamaCppTarget(new LlamaCppTargetOptions(path) { GpuLayers = 0, ContextSize = 2048, Threads = 1 });
        var item = SampleItems().First(i => i.Tools.Count > 0);
        var request = new TargetRequest(item.Messages, new SamplingParameters(0, null, 24, null)) { Tools = item.Tools };

        var prepared = LocalStructuredOutput.Prepare(request, constrain: true);
        var response = await target.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal("system", prepared.Messages[0].Role);
        Assert.StartsWith(item.Messages[0].Content, prepared.Messages[0].Content, StringComparison.Ordinal);
        Assert.Contains("<tools>", prepared.Messages[0].Content, StringComparison.Ordinal);
        Assert.All(item.Tools, t => Assert.Contains($"\"name\":\"{t.Name}\"", prepared.Messages[0].Content, StringComparison.Ordinal));
        Assert.Equal(JsonSchemaGrammar.ToolCallOpen, prepared.Grammar!.Trigger);
        Assert.Empty(response.ToolCalls);
        Assert.Equal("length", response.FinishReason);
    }

    /// <summary>Whether every broken constraint is one the grammar said it could not enforce ("#/properties/year: maximum").</summary>
    internal static bool OnlyUnenforcedBroken(IReadOnlyList<string> errors, IReadOnlyList<string> unenforced) =>
        errors.All(e => unenforced.Any(u => e.Contains($" breaks {u[(u.LastIndexOf(": ", StringComparison.Ordinal) + 2)..]} ", StringComparison.Ordinal)));

    private static bool IsJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
