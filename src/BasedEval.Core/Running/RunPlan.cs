using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BasedEval.Core.Config;
using BasedEval.Core.Scoring;
using BasedEval.Core.Storage;
using BasedEval.Core.Suites;
using BasedEval.Core.Targets;

namespace BasedEval.Core.Running;

/// <summary>One request to make: an item of a suite at an epoch, with its scorer and the hash that keys the response cache.</summary>
public sealed record PlannedSample(string Suite, EvalItem Item, int Epoch, IScorer Scorer, TargetRequest Request, string RequestJson, string RequestHash);

/// <summary>One suite's part of a plan: its items, how they are scored, and how they are asked.</summary>
/// <param name="RankChoices">The target ranks the choice letters by log-likelihood instead of generating.</param>
/// <param name="Epochs">Times each item is asked.</param>
public sealed record PlannedSuite(string Name, IScorer Scorer, IReadOnlyList<EvalItem> Items, bool RankChoices, int Epochs);

/// <summary>Everything one target is asked in one run, in a deterministic order; a sharded run's process sends only its shard's part.</summary>
public sealed record RunPlan(string RunId, TargetConfig Target, IReadOnlyList<string> Suites, IReadOnlyList<PlannedSample> Samples, int Seed, ShardSpec? Shard = null)
{
    /// <summary>Every sample is sent, none reused from another run's answers to the same request.</summary>
    public bool BypassCache { get; init; }

    /// <summary>What this process sends: the whole plan, or the samples of its shard.</summary>
    public IReadOnlyList<PlannedSample> Mine => Shard is { } shard ? Samples.Where(p => shard.Owns(p.Suite, p.Item.Id)).ToList() : Samples;

    /// <summary>Every shard of the run with the samples it is to produce, so any shard that starts makes all of them known.</summary>
    public IReadOnlyList<ShardRecord> ShardRecords()
    {
        if (Shard is not { } shard)
        {
            return [];
        }

        var items = Enumerable.Range(0, shard.Count).Select(_ => new List<PlannedKey>()).ToArray();
        foreach (var p in Samples)
        {
            items[ShardSpec.Of(p.Suite, p.Item.Id, shard.Count)].Add(new PlannedKey(p.Suite, p.Item.Id, p.Epoch));
        }

        return items.Select((keys, index) => new ShardRecord(RunId, index, shard.Count, ShardStatus.Pending, null, keys)).ToList();
    }

    /// <summary>
    /// A run id every shard derives alike without talking to the others: from the target as configured (name, provider,
    /// model, endpoint), the seed, the shard count and every planned request (prompt, sampling), so a changed plan or a
    /// different split never lands in the same run. The rest of evals.yaml is left out: shards that each write their own
    /// SQLite file differ in `store:` and must still name one run.
    /// </summary>
    public string DerivedRunId()
    {
        var text = new StringBuilder().Append(Target.Name).Append('\n').Append(Target.Provider).Append('\n').Append(Target.Model).Append('\n').Append(Target.BaseUrl)
            .Append('\n').Append(Seed).Append('\n').Append(Shard?.Count ?? 1);
        foreach (var p in Samples)
        {
            text.Append('\n').Append(p.Suite).Append('\t').Append(p.Item.Id).Append('\t').Append(p.RequestHash);
        }

        return $"run-{RunIds.Safe(Target.Name)}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16]}";
    }
}

public static class Planner
{
    /// <summary>
    /// Items of each suite shuffled by a seeded permutation and cut to the limit, so that `--limit 200` is a random
    /// sample of the suite rather than its first subject, and the same seed always gives the same items.
    /// </summary>
    public static IReadOnlyList<EvalItem> Select(IEnumerable<EvalItem> items, int seed, int? limit) => Select(items, i => i.Id, seed, limit);

    /// <summary>The same seeded sample over anything with an id, such as SWE-bench instances sampled before their prompts are built.</summary>
    public static IReadOnlyList<T> Select<T>(IEnumerable<T> items, Func<T, string> id, int seed, int? limit)
    {
        ArgumentNullException.ThrowIfNull(id);
        var list = items.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list)
        {
            if (!seen.Add(id(item)))
            {
                throw new ConfigException($"two items share the id `{id(item)}`; pairing across models needs unique ids", "fix the suite's data so every item id is unique");
            }
        }

        // System.Random with a seed is a fixed algorithm across .NET versions, which is what reproducibility needs here.
        var random = new Random(seed);
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }

        return limit is { } n && n < list.Count ? list.GetRange(0, n) : list;
    }

    public static RunPlan Build(string runId, TargetConfig target, IReadOnlyList<PlannedSuite> suites, int seed)
    {
        var sampling = new SamplingParameters(target.Sampling.Temperature, target.Sampling.TopP, target.Sampling.MaxTokens, target.Sampling.Seed);
        var samples = new List<PlannedSample>();
        foreach (var (suite, scorer, items, rankChoices, epochs) in suites)
        {
            foreach (var item in items)
            {
                for (var epoch = 0; epoch < epochs; epoch++)
                {
                    var request = new TargetRequest(item.Messages, sampling)
                    {
                        Tools = item.Tools,
                        ResponseFormat = item.ResponseFormat,
                        Continuations = rankChoices ? MmluHarnessPrompt.Continuations(item.Choices.Count) : null,
                    };
                    var json = RequestJson(request);
                    samples.Add(new PlannedSample(suite, item, epoch, scorer, request, json, RequestHash(json, epoch)));
                }
            }
        }

        return new RunPlan(runId, target, suites.Select(s => s.Name).ToList(), samples, seed);
    }

    /// <summary>The request as stored: messages and sampling, canonical so that equal requests hash equally.</summary>
    public static string RequestJson(TargetRequest request)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            HttpTargetBase.WriteMessages(json, request.Messages);
            var s = request.Sampling;
            json.WriteStartObject("sampling");
            WriteOptional(json, "temperature", s.Temperature);
            WriteOptional(json, "top_p", s.TopP);
            WriteOptional(json, "max_tokens", s.MaxTokens);
            WriteOptional(json, "seed", s.Seed);
            json.WriteEndObject();
            WriteStructured(json, request);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Epochs beyond the first get their own hash, so repeated sampling never reads an earlier epoch's answer from the cache.</summary>
    public static string RequestHash(string requestJson, int epoch) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(epoch == 0 ? requestJson : $"{requestJson}#epoch={epoch}")));

    /// <summary>Tools, response format and ranked continuations, written only when present so that plain requests keep the hashes they always had.</summary>
    private static void WriteStructured(Utf8JsonWriter json, TargetRequest request)
    {
        HttpTargetBase.WriteFlatTools(json, request.Tools, "parameters");

        if (request.ResponseFormat is { } format)
        {
            json.WriteStartObject("response_format");
            json.WriteString("name", format.Name);
            json.WritePropertyName("schema");
            json.WriteRawValue(format.Schema);
            json.WriteBoolean("strict", format.Strict);
            json.WriteEndObject();
        }

        if (request.Continuations is { } continuations)
        {
            json.WriteStartArray("rank_continuations");
            foreach (var continuation in continuations)
            {
                json.WriteStringValue(continuation);
            }

            json.WriteEndArray();
        }
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
    }
}
