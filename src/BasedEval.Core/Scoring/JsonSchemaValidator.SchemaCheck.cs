using System.Text.Json;

namespace BasedEval.Core.Scoring;

/// <summary>The schema's own check on parse: every keyword of the right shape, every $ref resolvable, every pattern valid.</summary>
public sealed partial class JsonSchemaValidator
{
    private void Check(JsonElement schema, string at, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new JsonSchemaException($"the schema nests deeper than {MaxDepth} levels at {at}");
        }

        if (schema.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw new JsonSchemaException($"{at} must be a schema object or a boolean, not a {Kind(schema)}");
        }

        if (schema.TryGetProperty("type", out var type))
        {
            var names = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().ToList() : [type];
            if (names.Count == 0 || names.Any(n => n.ValueKind != JsonValueKind.String || !TypeNames.Contains(n.GetString())))
            {
                throw new JsonSchemaException($"{at}/type must name one or more of {string.Join(", ", TypeNames)}");
            }
        }

        foreach (var map in SchemaMaps)
        {
            if (schema.TryGetProperty(map, out var children))
            {
                if (children.ValueKind != JsonValueKind.Object)
                {
                    throw new JsonSchemaException($"{at}/{map} must be an object of schemas");
                }

                foreach (var child in children.EnumerateObject())
                {
                    Check(child.Value, $"{at}/{map}/{child.Name}", depth + 1);
                }
            }
        }

        foreach (var list in SchemaLists)
        {
            if (schema.TryGetProperty(list, out var children))
            {
                if (children.ValueKind != JsonValueKind.Array || children.GetArrayLength() == 0)
                {
                    throw new JsonSchemaException($"{at}/{list} must be a non-empty array of schemas");
                }

                var i = 0;
                foreach (var child in children.EnumerateArray())
                {
                    Check(child, $"{at}/{list}/{i++}", depth + 1);
                }
            }
        }

        foreach (var single in (string[])["items", "additionalProperties", "not"])
        {
            if (schema.TryGetProperty(single, out var child))
            {
                Check(child, $"{at}/{single}", depth + 1);
            }
        }

        if (schema.TryGetProperty("required", out var required)
            && (required.ValueKind != JsonValueKind.Array || required.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String)))
        {
            throw new JsonSchemaException($"{at}/required must be an array of property names");
        }

        if (schema.TryGetProperty("enum", out var values) && values.ValueKind != JsonValueKind.Array)
        {
            throw new JsonSchemaException($"{at}/enum must be an array");
        }

        foreach (var bound in Bounds)
        {
            if (schema.TryGetProperty(bound, out var value) && value.ValueKind != JsonValueKind.Number)
            {
                throw new JsonSchemaException($"{at}/{bound} must be a number");
            }
        }

        foreach (var count in Counts)
        {
            if (schema.TryGetProperty(count, out var value) && (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n) || n < 0))
            {
                throw new JsonSchemaException($"{at}/{count} must be a non-negative whole number");
            }
        }

        if (schema.TryGetProperty("pattern", out var pattern))
        {
            Pattern(pattern, at);
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            Resolve(reference, at);
        }
    }
}
