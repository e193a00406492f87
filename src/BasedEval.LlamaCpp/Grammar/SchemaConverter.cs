using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace BasedEval.LlamaCpp.Grammar;

/// <summary>One schema document turned into rules; <c>$ref</c>s resolve against its root.</summary>
internal sealed class SchemaConverter(GbnfRules rules, JsonElement root)
{
    // Digit runs are bounded so that a model cannot spend its budget on one number.
    private const string Digits = "[0-9]{0,15}";
    private const string Fraction = "(\".\" [0-9]{1,16})?";
    private const string Exponent = "([eE] [-+]? [0-9]{1,3})?";

    /// <summary>Keywords that describe rather than constrain.</summary>
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly",
        "$defs", "definitions", "strict",
    };

    // Written as a model would write them: characters outside ASCII and HTML-sensitive ones stay as they are.
    private static readonly JsonSerializerOptions LiteralOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Dictionary<string, string> _refRules = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _unenforced = new(StringComparer.Ordinal);
    private string? _anyValue;

    public IReadOnlyList<string> Unenforced => [.. _unenforced];

    /// <summary>A GBNF expression for the values <paramref name="schema"/> admits.</summary>
    public string Visit(JsonElement schema, string hint, string path)
    {
        if (schema.ValueKind == JsonValueKind.True || (schema.ValueKind == JsonValueKind.Object && !schema.EnumerateObject().Any()))
        {
            return AnyValue();
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw new NotSupportedException($"The schema at '{Where(path)}' admits no value");
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            return Reference(reference.GetString() ?? string.Empty, path);
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            return JsonLiteral(constant);
        }

        if (schema.TryGetProperty("enum", out var values))
        {
            var literals = values.EnumerateArray().Select(JsonLiteral).Distinct(StringComparer.Ordinal).ToList();
            return literals.Count == 0
                ? throw new NotSupportedException($"The enum at '{Where(path)}' is empty: no value can follow it")
                : rules.Add(hint, string.Join(" | ", literals));
        }

        foreach (var alternativesKeyword in (string[])["anyOf", "oneOf"])
        {
            if (schema.TryGetProperty(alternativesKeyword, out var alternatives))
            {
                var branches = alternatives.EnumerateArray().Select((branch, i) => Visit(branch, $"{hint}-{i}", $"{path}/{alternativesKeyword}/{i}"));
                return rules.Add(hint, string.Join(" | ", branches));
            }
        }

        if (schema.TryGetProperty("allOf", out var allOf) && allOf.GetArrayLength() == 1)
        {
            return Visit(allOf[0], hint, $"{path}/allOf/0");
        }

        NoteUnenforced(schema, path);
        var types = TypesOf(schema);
        if (types.Count == 0)
        {
            return AnyValue();
        }

        var expressions = types.Select(type => Typed(schema, type, types.Count == 1 ? hint : $"{hint}-{type}", path)).ToList();
        return expressions.Count == 1 ? expressions[0] : rules.Add(hint, string.Join(" | ", expressions));
    }

    private string Typed(JsonElement schema, string type, string hint, string path) => type switch
    {
        "string" => StringOf(schema, hint, path),
        "integer" => NumberOf(schema, integer: true, hint),
        "number" => NumberOf(schema, integer: false, hint),
        "boolean" => rules.Add("boolean", "\"true\" | \"false\""),
        "null" => rules.Add("null", "\"null\""),
        "array" => ArrayOf(schema, hint, path),
        "object" => ObjectOf(schema, hint, path),
        _ => throw new NotSupportedException($"Unknown type '{type}' at '{Where(path)}'"),
    };

    private static List<string> TypesOf(JsonElement schema)
    {
        var types = new List<string>();
        if (schema.TryGetProperty("type", out var type))
        {
            if (type.ValueKind == JsonValueKind.Array)
            {
                types.AddRange(type.EnumerateArray().Select(t => t.GetString() ?? string.Empty));
            }
            else
            {
                types.Add(type.GetString() ?? string.Empty);
            }
        }
        else if (schema.TryGetProperty("properties", out _) || schema.TryGetProperty("required", out _))
        {
            types.Add("object");
        }
        else if (schema.TryGetProperty("items", out _) || schema.TryGetProperty("minItems", out _) || schema.TryGetProperty("maxItems", out _))
        {
            types.Add("array");
        }
        else if (schema.TryGetProperty("pattern", out _) || schema.TryGetProperty("minLength", out _) || schema.TryGetProperty("maxLength", out _))
        {
            // Without a type these constrain only strings; generating a string is what keeps them meaningful (and keys are strings).
            types.Add("string");
        }

        // OpenAPI's way of saying "or null", common in schemas written for function calling.
        if (schema.TryGetProperty("nullable", out var nullable) && nullable.ValueKind == JsonValueKind.True && !types.Contains("null"))
        {
            types.Add("null");
        }

        return types;
    }

    private string StringOf(JsonElement schema, string hint, string path)
    {
        var character = StringCharacter();
        if (schema.TryGetProperty("pattern", out var pattern))
        {
            var body = RegexGrammar.TryConvert(pattern.GetString() ?? string.Empty);
            if (body is not null)
            {
                return rules.Add(hint, $"\"\\\"\" {body} \"\\\"\"");
            }

            _unenforced.Add($"{Where(path)}: pattern");
        }

        var minimum = Integer(schema, "minLength") ?? 0;
        var maximum = Integer(schema, "maxLength");
        if (minimum == 0 && maximum is null)
        {
            return rules.Add("string", $"\"\\\"\" {character}* \"\\\"\"");
        }

        var count = string.Create(CultureInfo.InvariantCulture, $"{{{minimum},{maximum?.ToString(CultureInfo.InvariantCulture)}}}");
        return rules.Add(hint, $"\"\\\"\" {character}{count} \"\\\"\"");
    }

    private string NumberOf(JsonElement schema, bool integer, string hint)
    {
        var minimum = Number(schema, "minimum");
        var exclusiveMinimum = Number(schema, "exclusiveMinimum");
        if (integer && IntegerBounds(schema) is var (low, high) && (low is not null || high is not null))
        {
            return rules.Add(hint, IntegerRange.Expression(low ?? -IntegerRange.Largest, high ?? IntegerRange.Largest));
        }

        var positive = exclusiveMinimum >= 0 || (integer && minimum >= 1) || minimum > 0;
        var nonNegative = positive || minimum >= 0;
        string body;
        if (positive)
        {
            body = integer
                ? $"[1-9] {Digits}"
                : $"([1-9] {Digits} {Fraction} | \"0.\" {Digits} [1-9]) {Exponent}";
        }
        else
        {
            var sign = nonNegative ? string.Empty : "\"-\"? ";
            body = integer ? $"{sign}(\"0\" | [1-9] {Digits})" : $"{sign}(\"0\" | [1-9] {Digits}) {Fraction} {Exponent}";
        }

        return rules.Add(hint, body);
    }

    /// <summary>The tightest integer bounds the four numeric keywords give, clamped to the 16 digits integers have here.</summary>
    private static (long? Low, long? High) IntegerBounds(JsonElement schema)
    {
        double? low = null;
        double? high = null;
        if (Number(schema, "minimum") is { } minimum)
        {
            low = Math.Ceiling(minimum);
        }

        if (Number(schema, "exclusiveMinimum") is { } exclusiveMinimum)
        {
            low = Math.Max(low ?? double.MinValue, Math.Floor(exclusiveMinimum) + 1);
        }

        if (Number(schema, "maximum") is { } maximum)
        {
            high = Math.Floor(maximum);
        }

        if (Number(schema, "exclusiveMaximum") is { } exclusiveMaximum)
        {
            high = Math.Min(high ?? double.MaxValue, Math.Ceiling(exclusiveMaximum) - 1);
        }

        return (Clamp(low), Clamp(high));

        static long? Clamp(double? value) => value is { } v ? (long)Math.Clamp(v, -IntegerRange.Largest, IntegerRange.Largest) : null;
    }

    private string ArrayOf(JsonElement schema, string hint, string path)
    {
        var item = schema.TryGetProperty("items", out var items) ? Visit(items, $"{hint}-item", $"{path}/items") : AnyValue();
        return rules.Add(hint, Repeated("\"[\"", item, "\"]\"", Integer(schema, "minItems") ?? 0, Integer(schema, "maxItems")));
    }

    /// <summary>
    /// Declared properties in declared order, each optional one free to be left out. Rules first-i (nothing written yet)
    /// and rest-i (something written, so a comma comes first) walk the list without ever writing a stray comma.
    /// </summary>
    private string ObjectOf(JsonElement schema, string hint, string path)
    {
        var properties = schema.TryGetProperty("properties", out var declared) ? declared.EnumerateObject().ToList() : [];
        if (properties.Count == 0)
        {
            var value = schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.Object
                ? Visit(additional, $"{hint}-value", $"{path}/additionalProperties")
                : AnyValue();
            var key = schema.TryGetProperty("propertyNames", out var keys) ? Visit(keys, $"{hint}-key", $"{path}/propertyNames") : StringRule();
            return MapOf(key, value, hint, Integer(schema, "minProperties") ?? 0, Integer(schema, "maxProperties"));
        }

        var required = schema.TryGetProperty("required", out var names)
            ? names.EnumerateArray().Select(n => n.GetString()).ToHashSet(StringComparer.Ordinal)
            : [];
        var members = properties
            .Select(p => (
                Required: required.Contains(p.Name),
                Rule: rules.Add(
                    $"{hint}-{p.Name}-kv",
                    $"{JsonLiteral(p.Name)} ws \":\" ws {Visit(p.Value, $"{hint}-{p.Name}", $"{path}/properties/{p.Name}")}")))
            .ToList();
        foreach (var missing in required.Where(name => name is not null && properties.All(p => p.Name != name)))
        {
            throw new NotSupportedException($"'{missing}' is required at '{Where(path)}' but not among its properties: give it a schema under properties");
        }

        var first = string.Empty;
        var rest = string.Empty;
        for (var i = members.Count - 1; i >= 0; i--)
        {
            var (isRequired, rule) = members[i];
            var nextRest = rest.Length == 0 ? string.Empty : " " + rest;
            var newRest = rules.Add($"{hint}-rest-{i}", isRequired ? $"\",\" ws {rule}{nextRest}" : $"(\",\" ws {rule})?{nextRest}");
            // Never a trailing empty alternative: llama.cpp's parser would read the next line as part of it.
            var newFirst = isRequired ? $"{rule}{nextRest}" : first.Length == 0 ? $"({rule}{nextRest})?" : $"{rule}{nextRest} | {first}";
            first = rules.Add($"{hint}-first-{i}", newFirst);
            rest = newRest;
        }

        return rules.Add(hint, $"\"{{\" ws {first} ws \"}}\"");
    }

    private string MapOf(string key, string value, string hint, int minimum = 0, int? maximum = null)
    {
        var member = rules.Add($"{hint}-member", $"{key} ws \":\" ws {value}");
        return rules.Add(hint, Repeated("\"{\"", member, "\"}\"", minimum, maximum));
    }

    /// <summary>Between <paramref name="open"/> and <paramref name="close"/>, <paramref name="element"/> a bounded number of times, comma-separated.</summary>
    private static string Repeated(string open, string element, string close, int minimum, int? maximum)
    {
        if (maximum == 0)
        {
            return $"{open} ws {close}";
        }

        var more = string.Create(
            CultureInfo.InvariantCulture,
            $"(\",\" ws {element}){{{Math.Max(minimum - 1, 0)},{(maximum - 1)?.ToString(CultureInfo.InvariantCulture)}}}");
        var elements = $"{element} ws {more}";
        return minimum == 0 ? $"{open} ws ({elements})? ws {close}" : $"{open} ws {elements} ws {close}";
    }

    private string Reference(string reference, string path)
    {
        if (_refRules.TryGetValue(reference, out var known))
        {
            return known;
        }

        var target = root;
        var parts = reference.StartsWith("#/", StringComparison.Ordinal)
            ? reference[2..].Split('/')
            : reference == "#" ? [] : throw new NotSupportedException($"Only local references (#/…) are followed; '{reference}' at '{Where(path)}' is not");
        foreach (var part in parts.Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)))
        {
            if (target.ValueKind != JsonValueKind.Object || !target.TryGetProperty(part, out target))
            {
                throw new NotSupportedException($"The reference '{reference}' at '{Where(path)}' points at nothing in the schema");
            }
        }

        // Named before it is visited, so that a recursive schema refers to its own rule.
        var name = rules.Reserve(parts.Length == 0 ? "self" : parts[^1]);
        _refRules[reference] = name;
        rules.Define(name, Visit(target, name + "-body", reference));
        return name;
    }

    private string AnyValue()
    {
        if (_anyValue is not null)
        {
            return _anyValue;
        }

        var value = _anyValue = rules.Reserve("value");
        var number = rules.Add("number", $"\"-\"? (\"0\" | [1-9] {Digits}) {Fraction} {Exponent}");
        var array = rules.Add("array", Repeated("\"[\"", value, "\"]\"", 0, null));
        var map = MapOf(StringRule(), value, "object");
        rules.Define(value, $"{map} | {array} | {StringRule()} | {number} | \"true\" | \"false\" | \"null\"");
        return value;
    }

    private string StringRule() => rules.Add("string", $"\"\\\"\" {StringCharacter()}* \"\\\"\"");

    /// <summary>A character of a JSON string: anything but a quote, a backslash or a control character, or an escape.</summary>
    private string StringCharacter() =>
        rules.Add("char", "[^\"\\\\\\x7F\\x00-\\x1F] | \"\\\\\" ([\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4})");

    private void NoteUnenforced(JsonElement schema, string path)
    {
        foreach (var keyword in schema.EnumerateObject())
        {
            var enforced = keyword.Name switch
            {
                "type" or "properties" or "required" or "additionalProperties" or "items" or "minItems" or "maxItems"
                    or "minLength" or "maxLength" or "pattern" or "nullable" => true,
                "propertyNames" or "minProperties" or "maxProperties" => !schema.TryGetProperty("properties", out _),
                "minimum" or "maximum" or "exclusiveMinimum" or "exclusiveMaximum" when TypesOf(schema).All(t => t == "integer") => true,
                "minimum" => Number(schema, "minimum") is 0,
                "exclusiveMinimum" => Number(schema, "exclusiveMinimum") is 0,
                _ => Annotations.Contains(keyword.Name),
            };
            if (!enforced)
            {
                _unenforced.Add($"{Where(path)}: {keyword.Name}");
            }
        }
    }

    private static string JsonLiteral(JsonElement value) => GbnfRules.Literal(JsonSerializer.Serialize(value, LiteralOptions));

    public static string JsonLiteral(string text) => GbnfRules.Literal(JsonSerializer.Serialize(text, LiteralOptions));

    private static int? Integer(JsonElement schema, string keyword) =>
        schema.TryGetProperty(keyword, out var value) && value.TryGetInt32(out var number) && number >= 0 ? number : null;

    private static double? Number(JsonElement schema, string keyword) =>
        schema.TryGetProperty(keyword, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private static string Where(string path) => path.Length == 0 ? "#" : path.StartsWith('#') ? path : "#" + path;
}
