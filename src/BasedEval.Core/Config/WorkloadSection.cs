using YamlDotNet.RepresentationModel;

namespace BasedEval.Core.Config;

/// <summary>
/// The top-level <c>workloads:</c> and <c>slos:</c> sections, and the GPU-hour price keys of a target
/// (<c>gpu_hour_usd</c>, <c>gpus</c>), read apart from the rest of evals.yaml so each section stays readable on its own.
/// </summary>
internal static class WorkloadSection
{
    public static readonly string[] TopKeys = ["workloads", "slos"];
    public static readonly string[] TargetKeys = ["gpu_hour_usd", "gpus"];

    private static readonly string[] WorkloadKeys = ["format", "path", "prompts", "limit", "seed", "time_scale", "monthly_requests", "judge"];
    private static readonly string[] JudgeKeys = ["target", "method", "rubric", "min_score"];
    private static readonly string[] SloKeys = ["ttft_ms", "tpot_ms", "e2e_ms", "attainment"];

    private static readonly Dictionary<string, WorkloadFormat> Formats = new(StringComparer.Ordinal)
    {
        ["chat_log"] = WorkloadFormat.ChatLog,
        ["batch"] = WorkloadFormat.BatchInput,
        ["sharegpt"] = WorkloadFormat.ShareGpt,
        ["azure_trace"] = WorkloadFormat.ArrivalTrace,
    };

    private static readonly Dictionary<string, JudgeMethod> Methods = new(StringComparer.Ordinal)
    {
        ["checks"] = JudgeMethod.Checks,
        ["pairwise"] = JudgeMethod.Pairwise,
        ["rubric"] = JudgeMethod.Rubric,
    };

    /// <summary>Adds the workloads, SLOs and GPU prices to a config whose other sections are already read and resolved.</summary>
    public static EvalConfig Apply(YamlNodes yaml, Dictionary<string, YamlNode> top, EvalConfig config)
    {
        var targets = config.Targets.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        if (top.TryGetValue("targets", out var targetsNode))
        {
            foreach (var (key, value) in yaml.Mapping(targetsNode, "`targets`").Children)
            {
                var name = yaml.String(key, "a target name");
                if (ReadGpuPricing(yaml, value, name) is { } gpu)
                {
                    targets[name] = targets[name] with { Gpu = gpu };
                }
            }
        }

        var workloads = new Dictionary<string, WorkloadConfig>(StringComparer.Ordinal);
        if (top.TryGetValue("workloads", out var workloadsNode) && !YamlNodes.IsNull(workloadsNode))
        {
            foreach (var (key, value) in yaml.Mapping(workloadsNode, "`workloads`").Children)
            {
                var name = yaml.String(key, "a workload name");
                var workload = ReadWorkload(yaml, name, value, targets);
                workloads[name] = workload with
                {
                    Path = config.ResolvePath(workload.Path),
                    PromptsPath = workload.PromptsPath is null ? null : config.ResolvePath(workload.PromptsPath),
                };
            }
        }

        var slos = top.TryGetValue("slos", out var slosNode) && !YamlNodes.IsNull(slosNode) ? ReadSlos(yaml, slosNode) : SloConfig.None;
        return config with { Targets = targets, Workloads = workloads, Slos = slos };
    }

    internal static GpuPricing? ReadGpuPricing(YamlNodes yaml, YamlNode node, string name)
    {
        if (node is not YamlMappingNode mapping)
        {
            return null;
        }

        var what = $"target `{name}`";
        var hourly = mapping.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: "gpu_hour_usd" }).Value;
        var gpus = mapping.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: "gpus" }).Value;
        if (hourly is null)
        {
            return gpus is null ? null : throw yaml.Error(gpus, $"{what} gives `gpus` without `gpu_hour_usd`", "add `gpu_hour_usd: 2.5` (USD per GPU per hour), or remove `gpus`");
        }

        return new GpuPricing(
            yaml.Number(hourly, $"`gpu_hour_usd` of {what} (USD per GPU-hour)", 0, 10_000),
            gpus is null ? 1 : yaml.Integer(gpus, $"`gpus` of {what}", 1, 4096));
    }

    private static WorkloadConfig ReadWorkload(YamlNodes yaml, string name, YamlNode node, Dictionary<string, TargetConfig> targets)
    {
        var what = $"workload `{name}`";
        var f = yaml.Fields(node, what, WorkloadKeys);
        var format = yaml.Enum(yaml.Required(f, node, "format", what, "chat_log"), $"`format` of {what}", Formats);
        var prompts = yaml.OptionalString(f, "prompts", $"`prompts` of {what}");
        if (format == WorkloadFormat.ArrivalTrace && prompts is null)
        {
            throw yaml.Error(node, $"{what} is an arrival trace but names no prompt pool", "add `prompts: path/to/ShareGPT.json`: a trace records sizes only, so the text comes from ShareGPT prompts");
        }

        if (format != WorkloadFormat.ArrivalTrace && prompts is not null)
        {
            throw yaml.Error(f["prompts"], $"`prompts` applies only to format azure_trace, but {what} is another format", "remove `prompts`; this format carries its own prompt text");
        }

        return new WorkloadConfig(
            name,
            format,
            yaml.String(yaml.Required(f, node, "path", what, "logs/requests.jsonl"), $"`path` of {what}"),
            prompts,
            f.TryGetValue("limit", out var limit) ? yaml.Integer(limit, $"`limit` of {what}", 1, int.MaxValue) : null,
            f.TryGetValue("seed", out var seed) ? yaml.Integer(seed, $"`seed` of {what}", 0, int.MaxValue) : 0,
            f.TryGetValue("time_scale", out var scale) ? yaml.Number(scale, $"`time_scale` of {what} (2 replays twice as fast)", 0.001, 1_000_000) : 1,
            f.TryGetValue("monthly_requests", out var monthly) ? yaml.Number(monthly, $"`monthly_requests` of {what}", 1, 1e15) : null,
            f.TryGetValue("judge", out var judge) ? ReadJudge(yaml, judge, what, targets) : null,
            yaml.Where(node));
    }

    private static JudgeConfig ReadJudge(YamlNodes yaml, YamlNode node, string owner, Dictionary<string, TargetConfig> targets)
    {
        var what = $"`judge` of {owner}";
        var f = yaml.Fields(node, what, JudgeKeys);
        var method = f.TryGetValue("method", out var m) ? yaml.Enum(m, $"`method` of {what}", Methods) : JudgeMethod.Pairwise;
        var target = yaml.OptionalString(f, "target", $"`target` of {what}");
        if (method != JudgeMethod.Checks && target is null)
        {
            throw yaml.Error(node, $"{what} uses a judge model but names none", "add `target: <a target under targets:>`, or use `method: checks` for deterministic checks only");
        }

        if (target is not null && !targets.ContainsKey(target))
        {
            var nearest = YamlNodes.Nearest(target, targets.Keys);
            throw yaml.Error(f["target"], $"{what} names target `{target}`, which is not defined under `targets`", nearest is null ? $"use one of: {string.Join(", ", targets.Keys)}" : $"did you mean `{nearest}`?");
        }

        return new JudgeConfig(
            target,
            method,
            yaml.OptionalString(f, "rubric", $"`rubric` of {what}"),
            f.TryGetValue("min_score", out var min) ? yaml.Number(min, $"`min_score` of {what} (1 to 10)", 1, 10) : 7,
            yaml.Where(node));
    }

    private static SloConfig ReadSlos(YamlNodes yaml, YamlNode node)
    {
        var f = yaml.Fields(node, "`slos`", SloKeys);
        double? Ms(string key) => f.TryGetValue(key, out var v) ? yaml.Number(v, $"`slos.{key}` (milliseconds)", 0.001, 86_400_000) : null;
        var slos = new SloConfig(
            Ms("ttft_ms"),
            Ms("tpot_ms"),
            Ms("e2e_ms"),
            f.TryGetValue("attainment", out var a) ? yaml.Number(a, "`slos.attainment` (share of requests that must meet every SLO)", 0.01, 1) : 0.9);
        return slos.IsEmpty ? throw yaml.Error(node, "`slos` sets no objective", "set at least one of ttft_ms, tpot_ms, e2e_ms, such as `{ ttft_ms: 500, tpot_ms: 50 }`") : slos;
    }
}
