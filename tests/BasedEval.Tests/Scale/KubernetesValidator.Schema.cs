using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace BasedEval.Tests.Scale;
/// <summary>
/// The schema half of the validator: the required fields of the OpenAPI definitions, and every YAML value read as
/// kubectl reads it (YAML 1.1) against the type of the model field it fills.
/// </summary>
internal static partial class KubernetesValidator
{
    /// <summary>The `required` lists of the OpenAPI definitions the manifests use (io.k8s.api.batch.v1.*, io.k8s.api.core.v1.*).</summary>
    private static readonly Dictionary<Type, string[]> Required = new()
    {
        [typeof(V1JobSpec)] = ["template"],
        [typeof(V1PodSpec)] = ["containers"],
        [typeof(V1Container)] = ["name"],
        [typeof(V1EnvVar)] = ["name"],
        [typeof(V1SecretKeySelector)] = ["key"],
        [typeof(V1ConfigMapKeySelector)] = ["key"],
        [typeof(V1ObjectFieldSelector)] = ["fieldPath"],
        [typeof(V1Volume)] = ["name"],
        [typeof(V1VolumeMount)] = ["name", "mountPath"],
        [typeof(V1KeyToPath)] = ["key", "path"],
        [typeof(V1PodFailurePolicy)] = ["rules"],
        [typeof(V1PodFailurePolicyRule)] = ["action"],
        [typeof(V1PodFailurePolicyOnExitCodesRequirement)] = ["operator", "values"],
        [typeof(V1PodFailurePolicyOnPodConditionsPattern)] = ["type", "status"],
    };

    /// <summary>Every field an OpenAPI definition lists as required is set, anywhere in the object.</summary>
    public static List<string> RequiredFields(object manifest)
    {
        var errors = new List<string>();
        Walk(manifest, manifest.GetType().Name, errors);
        return errors;
    }

    /// <summary>
    /// The YAML as kubectl reads it (YAML 1.1, as go-yaml v2 resolves plain scalars) against the fields and types of the
    /// model <paramref name="model"/>: an unknown key or a value of another JSON type is what the API server refuses.
    /// </summary>
    public static List<string> Types(string yaml, Type model)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var errors = new List<string>();
        if (stream.Documents.Count != 1)
        {
            errors.Add($"$: {stream.Documents.Count} documents, not 1");
            return errors;
        }

        Typed(stream.Documents[0].RootNode, model, "$", errors);
        return errors;
    }

    private static void Walk(object value, string path, List<string> errors)
    {
        var type = value.GetType();
        if (type.Namespace != typeof(V1Job).Namespace || type == typeof(ResourceQuantity))
        {
            return;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var json = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
            if (json is null)
            {
                continue;
            }

            var field = property.GetValue(value);
            if (field is null || field is string { Length: 0 } || field is ICollection { Count: 0 })
            {
                if (Required.TryGetValue(type, out var required) && required.Contains(json))
                {
                    errors.Add($"{path}.{json}: required by the OpenAPI definition of {type.Name}");
                }

                continue;
            }

            switch (field)
            {
                case string:
                    break;
                case IDictionary dictionary:
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        if (entry.Value is not null)
                        {
                            Walk(entry.Value, $"{path}.{json}[{entry.Key}]", errors);
                        }
                    }

                    break;
                case IEnumerable items:
                    var i = 0;
                    foreach (var item in items)
                    {
                        Walk(item, string.Create(CultureInfo.InvariantCulture, $"{path}.{json}[{i++}]"), errors);
                    }

                    break;
                default:
                    Walk(field, $"{path}.{json}", errors);
                    break;
            }
        }
    }

    private static void Typed(YamlNode node, Type type, string path, List<string> errors)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string) || type == typeof(byte[]) || type == typeof(int) || type == typeof(long) || type == typeof(bool) || type == typeof(ResourceQuantity) || type == typeof(IntOrString))
        {
            if (node is not YamlScalarNode scalar)
            {
                errors.Add($"{path}: a {node.NodeType}, where the schema has a {type.Name}");
                return;
            }

            var read = Yaml11(scalar);
            var expected = type == typeof(int) || type == typeof(long) ? ["int"]
                : type == typeof(bool) ? ["bool"]
                : type == typeof(ResourceQuantity) ? ["str", "int", "float"]
                : type == typeof(IntOrString) ? ["str", "int"]
                : new[] { "str" };
            if (!expected.Contains(read))
            {
                errors.Add($"{path}: `{scalar.Value}` reads as {read} in YAML 1.1, where the schema has a {type.Name}");
            }

            return;
        }

        var dictionary = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>) ? type.GetGenericArguments()[1] : null;
        if (dictionary is not null)
        {
            if (node is not YamlMappingNode map)
            {
                errors.Add($"{path}: a {node.NodeType}, where the schema has a map");
                return;
            }

            foreach (var (key, value) in map.Children)
            {
                if (key is not YamlScalarNode k || Yaml11(k) != "str")
                {
                    errors.Add($"{path}: the key `{key}` is not read as a string in YAML 1.1");
                }

                Typed(value, dictionary, $"{path}[{key}]", errors);
            }

            return;
        }

        var element = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IList<>) ? type.GetGenericArguments()[0] : null;
        if (element is not null)
        {
            if (node is not YamlSequenceNode sequence)
            {
                errors.Add($"{path}: a {node.NodeType}, where the schema has a list");
                return;
            }

            for (var i = 0; i < sequence.Children.Count; i++)
            {
                Typed(sequence.Children[i], element, string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), errors);
            }

            return;
        }

        if (node is not YamlMappingNode fields)
        {
            errors.Add($"{path}: a {node.NodeType}, where the schema has the object {type.Name}");
            return;
        }

        var properties = type.GetProperties().Where(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)
            .ToDictionary(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name, p => p.PropertyType, StringComparer.Ordinal);
        foreach (var (key, value) in fields.Children)
        {
            var name = ((YamlScalarNode)key).Value ?? string.Empty;
            if (!properties.TryGetValue(name, out var field))
            {
                errors.Add($"{path}.{name}: unknown field of {type.Name}");
                continue;
            }

            Typed(value, field, $"{path}.{name}", errors);
        }
    }

    /// <summary>The type go-yaml v2 resolves a scalar to, which is what kubectl's YAML-to-JSON gives the API server.</summary>
    private static string Yaml11(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? string.Empty;
        if (scalar.Style != YamlDotNet.Core.ScalarStyle.Plain)
        {
            return "str";
        }

        if (value.Length == 0 || value is "~" or "null" or "Null" or "NULL")
        {
            return "null";
        }

        if (value is "y" or "Y" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "true" or "True" or "TRUE"
            or "n" or "N" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "false" or "False" or "FALSE")
        {
            return "bool";
        }

        if (value is ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN")
        {
            return "float";
        }

        if (value[0] == '.')
        {
            return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? "float" : "str";
        }

        if (!char.IsAsciiDigit(value[0]) && value[0] is not '+' and not '-')
        {
            return "str";
        }

        var plain = value.Replace("_", string.Empty, StringComparison.Ordinal);
        if (GoInteger().IsMatch(plain))
        {
            return "int";
        }

        return YamlFloat().IsMatch(plain) ? "float" : "str";
    }
}
