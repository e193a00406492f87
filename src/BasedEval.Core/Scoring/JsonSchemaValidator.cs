using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BasedEval.Core.Scoring;

/// <summary>The schema itself is not usable: not JSON, a keyword of the wrong shape, an unresolvable $ref, a bad pattern.</summary>
public sealed class JsonSchemaException : Exception
{
    public JsonSchemaException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Validates JSON against the part of JSON Schema that structured-output and tool-calling APIs use: <c>type</c> (one name or a
/// list), <c>properties</c>, <c>required</c>, <c>additionalProperties</c> (boolean or schema), <c>items</c>, <c>enum</c>,
/// <c>const</c>, <c>minimum</c>/<c>maximum</c> and their exclusive forms, <c>minLength</c>/<c>maxLength</c>,
/// <c>minItems</c>/<c>maxItems</c>, <c>pattern</c>, <c>anyOf</c>/<c>oneOf</c>/<c>allOf</c>/<c>not</c>, and local <c>$ref</c> into
/// <c>$defs</c> or <c>definitions</c>, plus the boolean schemas. Other keywords (description, title, format, …) are annotations
/// and are ignored.
/// <para>
/// <see cref="Parse"/> checks the whole schema once, so a broken schema fails when a suite loads; afterwards
/// <see cref="Validate"/> never throws for any instance except on a schema that refers to itself without descending into the
/// value. Both throw only <see cref="JsonSchemaException"/>.
/// </para>
/// </summary>
public sealed partial class JsonSchemaValidator
{
    private const int MaxDepth = 256;
    private static readonly string[] TypeNames = ["null", "boolean", "object", "array", "number", "integer", "string"];
    private static readonly string[] SchemaMaps = ["properties", "$defs", "definitions"];
    private static readonly string[] SchemaLists = ["anyOf", "oneOf", "allOf"];
    private static readonly string[] Bounds = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];
    private static readonly string[] Counts = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"];

    private readonly JsonElement _root;
    private readonly Dictionary<string, Regex> _patterns = new(StringComparer.Ordinal);

    private JsonSchemaValidator(JsonElement root) => _root = root;

    public static JsonSchemaValidator Parse(string schemaJson)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(schemaJson);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new JsonSchemaException($"the schema is not valid JSON ({e.Message})", e);
        }

        var validator = new JsonSchemaValidator(root);
        validator.Check(root, "#", 0);
        return validator;
    }

    /// <summary>Every way <paramref name="instance"/> breaks the schema, each as "path: problem"; empty when it conforms.</summary>
    public IReadOnlyList<string> Validate(JsonElement instance)
    {
        var errors = new List<string>();
        Validate(_root, instance, "$", errors, 0);
        return errors;
    }

    private void Validate(JsonElement schema, JsonElement value, string path, List<string> errors, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new JsonSchemaException($"the schema refers to itself more than {MaxDepth} times without descending into the value at {path}");
        }

        if (schema.ValueKind == JsonValueKind.True)
        {
            return;
        }

        if (schema.ValueKind == JsonValueKind.False)
        {
            errors.Add($"{path}: no value is allowed here");
            return;
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            Validate(Resolve(reference, path), value, path, errors, depth + 1);
        }

        if (schema.TryGetProperty("type", out var type))
        {
            var names = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            if (!names.Any(n => IsType(value, n)))
            {
                errors.Add($"{path}: expected {string.Join(" or ", names)}, found {Kind(value)}");
                return;
            }
        }

        if (schema.TryGetProperty("enum", out var values) && !values.EnumerateArray().Any(v => JsonEquality.Equal(v, value)))
        {
            errors.Add($"{path}: {Short(value)} is not one of {Short(values)}");
        }

        if (schema.TryGetProperty("const", out var constant) && !JsonEquality.Equal(constant, value))
        {
            errors.Add($"{path}: expected {Short(constant)}, found {Short(value)}");
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                ValidateObject(schema, value, path, errors);
                break;
            case JsonValueKind.Array:
                ValidateArray(schema, value, path, errors);
                break;
            case JsonValueKind.String:
                ValidateString(schema, value, path, errors);
                break;
            case JsonValueKind.Number:
                ValidateNumber(schema, value.GetDouble(), path, errors);
                break;
        }

        ValidateCombinations(schema, value, path, errors, depth);
    }

    private void ValidateObject(JsonElement schema, JsonElement value, string path, List<string> errors)
    {
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!).Where(n => !value.TryGetProperty(n, out _)))
            {
                errors.Add($"{path}: the required property \"{name}\" is missing");
            }
        }

        var properties = schema.TryGetProperty("properties", out var p) ? p : default;
        var additional = schema.TryGetProperty("additionalProperties", out var a) ? a : default;
        var count = 0;
        foreach (var property in value.EnumerateObject())
        {
            count++;
            var childPath = $"{path}.{property.Name}";
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
            {
                Validate(propertySchema, property.Value, childPath, errors, 0);
            }
            else if (additional.ValueKind == JsonValueKind.False)
            {
                errors.Add($"{path}: the property \"{property.Name}\" is not allowed");
            }
            else if (additional.ValueKind == JsonValueKind.Object)
            {
                Validate(additional, property.Value, childPath, errors, 0);
            }
        }

        CheckCount(schema, "minProperties", "maxProperties", count, "properties", path, errors);
    }

    private void ValidateArray(JsonElement schema, JsonElement value, string path, List<string> errors)
    {
        if (schema.TryGetProperty("items", out var items))
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                Validate(items, item, $"{path}[{i++}]", errors, 0);
            }
        }

        CheckCount(schema, "minItems", "maxItems", value.GetArrayLength(), "items", path, errors);
    }

    private void ValidateString(JsonElement schema, JsonElement element, string path, List<string> errors)
    {
        var value = element.GetString()!;
        var length = new StringInfo(value).LengthInTextElements;
        CheckCount(schema, "minLength", "maxLength", length, "characters", path, errors);
        if (schema.TryGetProperty("pattern", out var pattern))
        {
            try
            {
                if (!Pattern(pattern, path).IsMatch(value))
                {
                    errors.Add($"{path}: {Short(element)} does not match the pattern {pattern.GetString()}");
                }
            }
            catch (RegexMatchTimeoutException)
            {
                errors.Add($"{path}: matching the pattern {pattern.GetString()} took over a second");
            }
        }
    }

    private static void ValidateNumber(JsonElement schema, double value, string path, List<string> errors)
    {
        foreach (var bound in Bounds)
        {
            if (!schema.TryGetProperty(bound, out var limitElement))
            {
                continue;
            }

            var limit = limitElement.GetDouble();
            var broken = bound switch
            {
                "minimum" => value < limit,
                "maximum" => value > limit,
                "exclusiveMinimum" => value <= limit,
                _ => value >= limit,
            };
            if (broken)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{path}: {value} breaks {bound} {limit}"));
            }
        }
    }

    private void ValidateCombinations(JsonElement schema, JsonElement value, string path, List<string> errors, int depth)
    {
        if (schema.TryGetProperty("allOf", out var all))
        {
            foreach (var child in all.EnumerateArray())
            {
                Validate(child, value, path, errors, depth + 1);
            }
        }

        if (schema.TryGetProperty("anyOf", out var any) && !any.EnumerateArray().Any(child => Conforms(child, value, path, depth)))
        {
            errors.Add($"{path}: matches none of the anyOf alternatives");
        }

        if (schema.TryGetProperty("oneOf", out var one))
        {
            var matches = one.EnumerateArray().Count(child => Conforms(child, value, path, depth));
            if (matches != 1)
            {
                errors.Add($"{path}: matches {matches} of the oneOf alternatives instead of exactly one");
            }
        }

        if (schema.TryGetProperty("not", out var not) && Conforms(not, value, path, depth))
        {
            errors.Add($"{path}: matches a schema it must not match");
        }
    }

    private bool Conforms(JsonElement schema, JsonElement value, string path, int depth)
    {
        var errors = new List<string>();
        Validate(schema, value, path, errors, depth + 1);
        return errors.Count == 0;
    }

    private static void CheckCount(JsonElement schema, string minName, string maxName, int count, string unit, string path, List<string> errors)
    {
        if (schema.TryGetProperty(minName, out var min) && count < min.GetInt32())
        {
            errors.Add($"{path}: {count} {unit}, fewer than {minName} {min.GetInt32()}");
        }

        if (schema.TryGetProperty(maxName, out var max) && count > max.GetInt32())
        {
            errors.Add($"{path}: {count} {unit}, more than {maxName} {max.GetInt32()}");
        }
    }

    private JsonElement Resolve(JsonElement reference, string at)
    {
        var text = reference.ValueKind == JsonValueKind.String ? reference.GetString()! : null;
        if (text is null || !text.StartsWith('#'))
        {
            throw new JsonSchemaException($"{at}/$ref must be a local reference such as \"#/$defs/name\", found {Short(reference)}");
        }

        var target = _root;
        foreach (var segment in text[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = Uri.UnescapeDataString(segment).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (target.ValueKind != JsonValueKind.Object || !target.TryGetProperty(name, out target))
            {
                throw new JsonSchemaException($"{at}/$ref \"{text}\" points at nothing in the schema");
            }
        }

        return target;
    }

    private Regex Pattern(JsonElement pattern, string at)
    {
        var text = pattern.ValueKind == JsonValueKind.String ? pattern.GetString()! : throw new JsonSchemaException($"{at}/pattern must be a string");
        lock (_patterns)
        {
            if (_patterns.TryGetValue(text, out var cached))
            {
                return cached;
            }

            try
            {
                // ECMAScript rules are what JSON Schema specifies; a timeout keeps a pathological pattern from stalling scoring.
                var regex = new Regex(text, RegexOptions.ECMAScript | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                _patterns[text] = regex;
                return regex;
            }
            catch (ArgumentException e)
            {
                throw new JsonSchemaException($"{at}/pattern {Short(pattern)} is not a valid regular expression ({e.Message})", e);
            }
        }
    }

    private static bool IsType(JsonElement value, string type) => type switch
    {
        "null" => value.ValueKind == JsonValueKind.Null,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && double.IsInteger(value.GetDouble()),
        _ => value.ValueKind == JsonValueKind.String,
    };

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    private static string Short(JsonElement value) => Short(value.GetRawText());

    private static string Short(string text) => text.Length > 60 ? text[..60] + "…" : text;
}
