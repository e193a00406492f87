using System.Text.Json;
using BasedEval.Core.Suites;

namespace BasedEval.Core.SweBench;

/// <summary>One model's patch for one instance, in the official predictions format; <see cref="Line"/> is where its record starts (0 for gold).</summary>
public sealed record SweBenchPrediction(string InstanceId, string ModelNameOrPath, string ModelPatch, long Line)
{
    /// <summary>What generating the patch cost, from its stored sample; null where the predictions came from elsewhere.</summary>
    public double? CostUsd { get; init; }
}

/// <summary>
/// Loads predictions as the official harness takes them: JSON Lines or a JSON array of records with <c>instance_id</c>,
/// <c>model_name_or_path</c> and <c>model_patch</c>. A null <c>model_patch</c> is an empty prediction, as the harness treats
/// it, so the instance counts as attempted and unresolved rather than vanishing from the denominator.
/// </summary>
public static class SweBenchPredictions
{
    /// <summary>The model name of predictions made from the instances' own patches.</summary>
    public const string GoldModel = "gold";

    public static IReadOnlyList<SweBenchPrediction> Load(string path) => Parse(path, SuiteJsonl.ReadBytes(path));

    public static IReadOnlyList<SweBenchPrediction> Parse(string path, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(content);
        var predictions = new List<SweBenchPrediction>();
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var record in SweBenchInstances.ReadRecords(path, content))
        {
            var prediction = ToPrediction(path, record);
            if (!seen.TryAdd(prediction.InstanceId, record.Line))
            {
                throw new SuiteDataException(path, record.Line, $"instance_id '{prediction.InstanceId}' also has a prediction at line {seen[prediction.InstanceId]}", "keep one prediction per instance");
            }

            predictions.Add(prediction);
        }

        if (predictions.Count == 0)
        {
            throw new SuiteDataException(path, null, "the file holds no prediction", "write one {\"instance_id\", \"model_name_or_path\", \"model_patch\"} object per line");
        }

        return predictions;
    }

    /// <summary>
    /// Writes JSON Lines in the official format, which the harness reads by its three keys; <c>cost_usd</c> rides along where known
    /// so that `swebench eval` can report the cost per resolved instance.
    /// </summary>
    public static void Write(string path, IReadOnlyList<SweBenchPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(predictions);
        using var stream = File.Create(path);
        foreach (var prediction in predictions)
        {
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                json.WriteString("instance_id", prediction.InstanceId);
                json.WriteString("model_name_or_path", prediction.ModelNameOrPath);
                json.WriteString("model_patch", prediction.ModelPatch);
                if (prediction.CostUsd is { } cost)
                {
                    json.WriteNumber("cost_usd", cost);
                }

                json.WriteEndObject();
            }

            stream.WriteByte((byte)'\n');
        }
    }

    /// <summary>The gold patches as predictions: the validation run that shows which instances this environment can resolve at all.</summary>
    public static IReadOnlyList<SweBenchPrediction> Gold(IReadOnlyList<SweBenchInstance> instances)
    {
        ArgumentNullException.ThrowIfNull(instances);
        return [.. instances.Select(i => new SweBenchPrediction(i.InstanceId, GoldModel, i.Patch, 0))];
    }

    /// <summary>
    /// Pairs each prediction with its instance. A prediction for an instance the file does not hold is an error naming its
    /// line, because scoring it against nothing would silently shrink the run.
    /// </summary>
    public static IReadOnlyList<(SweBenchInstance Instance, SweBenchPrediction Prediction)> Match(
        string predictionsPath, IReadOnlyList<SweBenchInstance> instances, IReadOnlyList<SweBenchPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(predictions);
        var byId = instances.ToDictionary(i => i.InstanceId, StringComparer.Ordinal);
        return [.. predictions.Select(p => byId.TryGetValue(p.InstanceId, out var instance)
            ? (instance, p)
            : throw new SuiteDataException(predictionsPath, p.Line, $"instance_id '{p.InstanceId}' is not among the instances", "predict only instances of the --instances file, or pass the dataset the predictions were made for"))];
    }

    private static SweBenchPrediction ToPrediction(string path, JsonlRecord record)
    {
        var value = record.Value;
        string? Text(string name, bool nullable)
        {
            if (!value.TryGetProperty(name, out var field))
            {
                throw new SuiteDataException(path, record.Line, $"the record has no {name}", $"give every prediction a \"{name}\" string as the official harness expects");
            }

            return field.ValueKind switch
            {
                JsonValueKind.String => field.GetString(),
                JsonValueKind.Null when nullable => null,
                _ => throw new SuiteDataException(path, record.Line, $"{name} is a JSON {field.ValueKind.ToString().ToLowerInvariant()}, not a string", $"write {name} as a string"),
            };
        }

        var id = Text("instance_id", nullable: false)!;
        if (id.Length == 0)
        {
            throw new SuiteDataException(path, record.Line, "instance_id is empty", "use the instance_id of the dataset record, e.g. \"psf__requests-2317\"");
        }

        double? cost = value.TryGetProperty("cost_usd", out var costField) && costField.ValueKind != JsonValueKind.Null
            ? costField.ValueKind == JsonValueKind.Number && costField.GetDouble() >= 0
                ? costField.GetDouble()
                : throw new SuiteDataException(path, record.Line, $"cost_usd is {costField.GetRawText()}, not a number of dollars", "write cost_usd as a non-negative number, or leave it out")
            : null;
        return new SweBenchPrediction(id, Text("model_name_or_path", nullable: false)!, Text("model_patch", nullable: true) ?? string.Empty, record.Line) { CostUsd = cost };
    }
}
