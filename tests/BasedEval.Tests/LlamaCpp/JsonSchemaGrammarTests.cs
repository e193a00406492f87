using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json;
using BasedEval.Core.Scoring;
using BasedEval.Core.Suites;
using BasedEval.LlamaCpp;
using BasedEval.LlamaCpp.Grammar;
using FsCheck;
using FsCheck.Fluent;

namespace BasedEval.Tests.LlamaCpp;

public class JsonSchemaGrammarTests
{
    /// <summary>What schemas written for function calling use, each bounded so that random weights must finish.</summary>
    public static TheoryData<string, string> HardSchemas => new()
    {
        { "integer-ranges", """{"type":"object","properties":{"year":{"type":"integer","minimum":1900,"maximum":2100},"delta":{"type":"integer","exclusiveMinimum":-40.5,"exclusiveMaximum":12},"big":{"type":"integer","minimum":123456}},"required":["year","delta","big"]}""" },
        { "optional-only", """{"type":"object","properties":{"a":{"type":"boolean"},"b":{"type":"null"},"c":{"type":"integer","minimum":0}}}""" },
        { "recursive-tree", """{"$defs":{"node":{"type":"object","properties":{"label":{"type":"string","maxLength":5},"children":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":1}},"required":["label"],"additionalProperties":false}},"$ref":"#/$defs/node"}""" },
        { "any-of", """{"anyOf":[{"type":"integer","exclusiveMinimum":0},{"type":"string","enum":["none","all"]},{"type":"array","items":{"type":"number"},"minItems":2,"maxItems":2}]}""" },
        { "type-array-and-nullable", """{"type":"object","properties":{"x":{"type":["string","null"],"maxLength":4},"y":{"type":"number","nullable":true}},"required":["x","y"]}""" },
        { "mixed-enum-and-const", """{"type":"object","properties":{"kind":{"const":"point"},"v":{"enum":[1,"two",true,null,{"k":[3]}]}},"required":["kind","v"]}""" },
        { "map", """{"type":"object","additionalProperties":{"type":"integer"},"propertyNames":{"maxLength":3},"minProperties":1,"maxProperties":3}""" },
        { "pattern", """{"type":"object","properties":{"code":{"type":"string","pattern":"^(EU|US)-[0-9]{2,3}(\\.[a-f]+)?$"},"iso":{"type":"string","pattern":"^\\d{4}-\\d{2}-\\d{2}$"}},"required":["code","iso"]}""" },
        { "array-bounds", """{"type":"array","items":{"type":"string","maxLength":3},"minItems":2,"maxItems":4}""" },
        { "escapes-in-names", """{"type":"object","properties":{"say \"hi\"":{"enum":["a\\\\b","ünï"]},"<tag>":{"const":"&"}},"required":["say \"hi\"","<tag>"]}""" },
    };

    [Theory]
    [MemberData(nameof(HardSchemas))]
    public async Task Every_constrained_answer_follows_the_schema_on_the_real_model(string name, string schema)
    {
        using var model = TinyLlama.Load();
        using var engine = new LlamaEngine(model, new LlamaEngineOptions { ContextSize = 1024, Threads = 1 });
        var grammar = JsonSchemaGrammar.ForResponse(schema);
        var validator = JsonSchemaValidator.Parse(schema);
        var prompt = model.Tokenize($"Write JSON for {name}:", addSpecial: true);

        // Greedy, then seeded draws: different paths through the alternatives and optional members.
        foreach (var sampling in new[] { new LlamaSampling(MaxTokens: 600), new LlamaSampling(1.0f, Seed: 1, MaxTokens: 600), new LlamaSampling(1.5f, Seed: 2, MaxTokens: 600) })
        {
            var text = new StringBuilder();
            GenerationSummary? summary = null;
            await foreach (var update in engine.GenerateAsync(prompt, sampling with { Grammar = new LlamaGrammar(grammar.Text) }, TestContext.Current.CancellationToken))
            {
                text.Append(update.Text);
                summary ??= update.Summary;
            }

            Assert.True(summary!.FinishReason == LlamaFinishReason.Stop, $"{name}: cut off: {text}");
            using var answer = JsonDocument.Parse(text.ToString());
            var errors = validator.Validate(answer.RootElement);
            Assert.True(GrammarConstrainedOutputTests.OnlyUnenforcedBroken(errors, grammar.Unenforced), $"{name}: {text} breaks: {string.Join("; ", errors)}");
        }
    }

    [Fact]
    public void Constraints_a_grammar_cannot_express_are_named_with_their_place()
    {
        var grammar = JsonSchemaGrammar.ForResponse(
            """{"type":"object","properties":{"n":{"type":"integer","minimum":1,"maximum":9},"f":{"type":"number","multipleOf":0.5},"d":{"type":"string","format":"date","description":"a day"},"s":{"type":"string","pattern":"^(?=a)b$"}}}""");

        Assert.Equal(["#/properties/d: format", "#/properties/f: multipleOf", "#/properties/s: pattern"], grammar.Unenforced);
    }

    [Theory]
    [InlineData("false")]
    [InlineData("""{"enum":[]}""")]
    [InlineData("""{"$ref":"https://example.com/other.json"}""")]
    [InlineData("""{"$ref":"#/$defs/missing"}""")]
    [InlineData("""{"type":"object","properties":{"a":{}},"required":["b"]}""")]
    public void A_schema_no_value_can_follow_is_refused_with_its_place(string schema)
    {
        var e = Assert.Throws<NotSupportedException>(() => JsonSchemaGrammar.ForResponse(schema));
        Assert.Contains("#", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("^[A-Z]{3}$", "[A-Z]{3}")]
    [InlineData("a|b", "([a] | [b])")]
    [InlineData("^\\d+(\\.\\d{1,2})?$", "[0-9]+ ([\\u002E] [0-9]{1,2})?")]
    [InlineData("[^x]", "[^x\\u0000-\\u001F\\u0022\\u005C\\u007F]")]
    [InlineData("[ -~]{2}", "[\\u0020-\\u0021\\u0023-\\u005B\\u005D-\\u007E]{2}")]
    public void Patterns_become_GBNF_over_the_characters_of_a_JSON_string(string pattern, string expected)
    {
        Assert.Equal(expected, RegexGrammar.TryConvert(pattern));
    }

    [Fact]
    public void Integer_ranges_hold_exactly_the_integers_between_their_bounds()
    {
        Prop.ForAll(Gen.Choose(-30_000, 30_000).Two().ToArbitrary(), bounds =>
        {
            var (low, high) = (Math.Min(bounds.Item1, bounds.Item2), Math.Max(bounds.Item1, bounds.Item2));
            // The GBNF of digit classes reads the same as a .NET regular expression once the quoted minus is bare.
            var regex = new Regex("^" + IntegerRange.Expression(low, high).Replace("\"-\"", "-", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal) + "$");
            for (var x = low - 3; x <= high + 3; x += Math.Max(1, (high - low) / 200))
            {
                Assert.True(regex.IsMatch(x.ToString(CultureInfo.InvariantCulture)) == (x >= low && x <= high), $"[{low}, {high}] and {x}: {regex}");
            }

            foreach (var x in new[] { low, high, low - 1, high + 1 })
            {
                Assert.True(regex.IsMatch(x.ToString(CultureInfo.InvariantCulture)) == (x >= low && x <= high), $"[{low}, {high}] and {x}: {regex}");
            }

            Assert.DoesNotMatch(regex, "-0");
            Assert.DoesNotMatch(regex, "0" + Math.Abs(high).ToString(CultureInfo.InvariantCulture));
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("^(?=a)b$")]
    [InlineData("(a)\\1")]
    [InlineData("\\bword\\b")]
    [InlineData("a\\tb")]
    [InlineData("[\"\\\\]")]
    [InlineData("(unclosed")]
    public void Patterns_beyond_the_subset_are_not_converted(string pattern)
    {
        Assert.Null(RegexGrammar.TryConvert(pattern));
    }

    [Fact]
    public void Tool_call_blocks_become_calls_and_the_rest_stays_text()
    {
        var (text, calls) = LocalStructuredOutput.ReadToolCalls(
            "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>\n"
            + "<tool_call>{\"name\": \"convert\", \"arguments\": \"{\\\"amount\\\": 3}\"}</tool_call>");

        Assert.Equal("Let me check.", text);
        Assert.Equal(2, calls.Count);
        Assert.Equal(("get_weather", "{\"city\": \"Oslo\"}"), (calls[0].Name, calls[0].Arguments));
        Assert.Equal(("convert", "{\"amount\": 3}"), (calls[1].Name, calls[1].Arguments));
        Assert.NotEqual(calls[0].Id, calls[1].Id);
    }

    [Fact]
    public void A_call_cut_off_by_the_token_limit_is_still_a_call_with_invalid_arguments()
    {
        var (_, calls) = LocalStructuredOutput.ReadToolCalls("<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"ci");

        var call = Assert.Single(calls);
        Assert.Equal(string.Empty, call.Name);
        Assert.StartsWith("{\"name\"", call.Arguments, StringComparison.Ordinal);
    }

    [Fact]
    public void A_response_format_puts_its_schema_in_the_system_message()
    {
        var request = new BasedEval.Core.Targets.TargetRequest([new ChatMessage("user", "Sentiment of: great!")], BasedEval.Core.Targets.SamplingParameters.Greedy)
        {
            ResponseFormat = new ResponseFormat("sentiment", """{ "type": "object", "properties": { "label": { "enum": ["pos", "neg"] } } }""", Strict: true),
        };

        var prepared = LocalStructuredOutput.Prepare(request, constrain: false);

        Assert.Null(prepared.Grammar);
        Assert.Equal(2, prepared.Messages.Count);
        Assert.Equal("system", prepared.Messages[0].Role);
        Assert.Contains("""{"type":"object","properties":{"label":{"enum":["pos","neg"]}}}""", prepared.Messages[0].Content, StringComparison.Ordinal);
        Assert.Equal(request.Messages[0], prepared.Messages[1]);
    }
}
