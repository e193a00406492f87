using System.Security.Cryptography;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace BasedEval.Core.Config;

/// <summary>Reads and checks evals.yaml. Anything wrong becomes a <see cref="ConfigException"/> naming file, line, column and fix.</summary>
public static class ConfigLoader
{
    public const int SchemaVersion = 1;

    private static readonly string[] TopKeys = ["version", "store", "store_timeout_s", "reports_dir", "seed", "targets", "suites", "comparisons", .. WorkloadSection.TopKeys, WatchSection.TopKey];
    private static readonly string[] TargetKeys =
    [
        "provider", "model", "base_url", "api_key_env", "prices", "max_concurrency", "timeout_s", "max_retries", "sampling",
        "model_path", "gpu_layers", "context_size", "threads", "batch_size", "parallel", "scheduling", "build", "grammar", "rpm", "tpm", "max_usd", "circuit_breaker", "client",
        .. WorkloadSection.TargetKeys, .. TokenizerSection.TargetKeys,
    ];

    private static readonly string[] LocalOnlyKeys = ["model_path", "gpu_layers", "context_size", "threads", "batch_size", "parallel", "scheduling", "build", "grammar"];
    private static readonly string[] PriceKeys = ["input", "cached_input", "output"];
    private static readonly string[] BreakerKeys = ["failures", "open_s", "max_probes"];
    private static readonly string[] SamplingKeys = ["temperature", "top_p", "max_tokens", "seed"];
    private static readonly string[] ComparisonKeys = ["baseline", "candidate", "suites", "gates"];
    private static readonly string[] GateKeys = ["quality", "latency", "cost"];
    private static readonly string[] QualityKeys = ["margin", "confidence", "superiority"];
    private static readonly string[] LatencyKeys = ["metric", "percentile", "max_ratio"];
    private static readonly string[] CostKeys = ["max_ratio"];

    private static readonly Dictionary<string, ProviderKind> Providers = new(StringComparer.Ordinal)
    {
        ["openai"] = ProviderKind.OpenAi,
        ["anthropic"] = ProviderKind.Anthropic,
        ["llamacpp"] = ProviderKind.LlamaCpp,
        ["chatclient"] = ProviderKind.ChatClient,
    };

    private static readonly Dictionary<string, LatencyMetric> LatencyMetrics = new(StringComparer.Ordinal)
    {
        ["ttft"] = LatencyMetric.Ttft,
        ["tpot"] = LatencyMetric.Tpot,
        ["e2e"] = LatencyMetric.E2e,
    };

    public static EvalConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException($"config file `{path}` does not exist", "pass --config with the path of your evals.yaml, or run from the folder that holds it");
        }

        var bytes = File.ReadAllBytes(path);
        return Parse(path, bytes);
    }

    public static EvalConfig Parse(string path, byte[] content)
    {
        var text = System.Text.Encoding.UTF8.GetString(content);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ConfigException(path, (int)e.Start.Line, (int)e.Start.Column, $"not valid YAML: {e.Message}", "check indentation (spaces, not tabs), colons after keys and closing quotes around this place");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet's scanner and node loader throw these on some malformed flow collections and stray colons instead of a YamlException.
            var (line, column) = LastReadablePosition(text);
            throw new ConfigException(path, line, column, $"not valid YAML ({e.Message})", "check the brackets and braces of inline lists and mappings `[...]` / `{...}` and the colons from this place on");
        }

        if (stream.Documents.Count == 0 || YamlNodes.IsNull(stream.Documents[0].RootNode))
        {
            throw new ConfigException(path, 1, 1, "the file is empty", "start from the evals.yaml in the repository root; it documents every key");
        }

        if (stream.Documents.Count > 1)
        {
            throw new ConfigException(path, (int)stream.Documents[1].RootNode.Start.Line, 1, "the file holds more than one YAML document", "keep one document: remove the `---` separator and what follows");
        }

        var yaml = new YamlNodes(path);
        var root = stream.Documents[0].RootNode;
        var top = yaml.Fields(root, "the top level", TopKeys);

        var versionNode = yaml.Required(top, root, "version", "the top level", "1");
        var version = yaml.Integer(versionNode, "`version`", 1, int.MaxValue);
        if (version != SchemaVersion)
        {
            throw yaml.Error(versionNode, $"schema version {version} is not supported by this basedeval", $"write `version: {SchemaVersion}`");
        }

        var targetsNode = yaml.Required(top, root, "targets", "the top level", "{ name: { provider: openai, model: ... } }");
        var targets = new Dictionary<string, TargetConfig>(StringComparer.Ordinal);
        foreach (var (key, value) in yaml.Mapping(targetsNode, "`targets`").Children)
        {
            var name = yaml.String(key, "a target name");
            targets[name] = ReadTarget(yaml, name, value);
        }

        var suites = new Dictionary<string, SuiteConfig>(StringComparer.Ordinal);
        if (top.TryGetValue("suites", out var suitesNode) && !YamlNodes.IsNull(suitesNode))
        {
            foreach (var (key, value) in yaml.Mapping(suitesNode, "`suites`").Children)
            {
                var name = yaml.String(key, "a suite name");
                suites[name] = ReadSuite(yaml, name, value);
            }
        }

        var comparisons = new Dictionary<string, ComparisonConfig>(StringComparer.Ordinal);
        if (top.TryGetValue("comparisons", out var comparisonsNode) && !YamlNodes.IsNull(comparisonsNode))
        {
            foreach (var (key, value) in yaml.Mapping(comparisonsNode, "`comparisons`").Children)
            {
                var name = yaml.String(key, "a comparison name");
                comparisons[name] = ReadComparison(yaml, name, value, targets, suites);
            }
        }

        var store = yaml.OptionalString(top, "store", "`store`") ?? Path.Combine(".basedeval", "results.db");
        var reports = yaml.OptionalString(top, "reports_dir", "`reports_dir`") ?? "reports";
        var seed = top.TryGetValue("seed", out var seedNode) ? yaml.Integer(seedNode, "`seed`", 0, int.MaxValue) : 1234;
        var storeTimeout = top.TryGetValue("store_timeout_s", out var timeoutNode) ? yaml.Number(timeoutNode, "`store_timeout_s`", 0, 86400) : EvalConfig.DefaultStoreTimeoutSeconds;

        var config = new EvalConfig(path, Convert.ToHexStringLower(SHA256.HashData(content)), store, reports, seed, targets, suites, comparisons);
        var resolved = WorkloadSection.Apply(yaml, top, config with
        {
            StorePath = Storage.ResultStores.IsServer(store) ? store : config.ResolvePath(store),
            StoreTimeout = TimeSpan.FromSeconds(storeTimeout),
            ReportsDirectory = config.ResolvePath(reports),
            Suites = suites.ToDictionary(s => s.Key, s => s.Value with { Path = config.ResolvePath(s.Value.Path) }, StringComparer.Ordinal),
            Targets = ModelRecipes.Link(targets.ToDictionary(
                t => t.Key,
                t => t.Value.Local is null ? t.Value : t.Value with { Local = t.Value.Local with { ModelPath = config.ResolvePath(t.Value.Local.ModelPath) } },
                StringComparer.Ordinal)),
        });
        return top.TryGetValue(WatchSection.TopKey, out var watchNode) && !YamlNodes.IsNull(watchNode)
            ? resolved with { Watch = WatchSection.Read(yaml, watchNode, resolved) }
            : resolved;
    }

    internal static TargetConfig ReadTarget(YamlNodes yaml, string name, YamlNode node)
    {
        var what = $"target `{name}`";
        var f = yaml.Fields(node, what, TargetKeys);
        var provider = yaml.Enum(yaml.Required(f, node, "provider", what, "openai"), $"`provider` of {what}", Providers);

        if (provider != ProviderKind.LlamaCpp)
        {
            foreach (var localKey in LocalOnlyKeys.Where(f.ContainsKey))
            {
                throw yaml.Error(f[localKey], $"`{localKey}` applies only to provider llamacpp, but {what} uses a remote provider", $"remove `{localKey}` or set `provider: llamacpp`");
            }
        }

        if (provider != ProviderKind.ChatClient && f.TryGetValue("client", out var clientNode))
        {
            throw yaml.Error(clientNode, $"`client` applies only to provider chatclient, but {what} uses provider {yaml.String(f["provider"], "`provider`")}", "remove `client` or set `provider: chatclient`");
        }

        LocalModelConfig? local = null;
        ChatClientReference? chatClient = null;
        string model;
        if (provider == ProviderKind.ChatClient)
        {
            chatClient = ChatClientSection.Read(yaml, f, node, what);
            model = chatClient.ModelId ?? chatClient.Name;
        }
        else if (provider == ProviderKind.LlamaCpp)
        {
            var modelPathNode = yaml.Required(f, node, "model_path", what, "models/model.gguf");
            var modelPath = yaml.String(modelPathNode, $"`model_path` of {what}");
            var folder = Path.GetFullPath(modelPath, Path.GetDirectoryName(Path.GetFullPath(yaml.File))!);
            if (Directory.Exists(folder))
            {
                var inside = Directory.EnumerateFiles(folder, "*.gguf").Order(StringComparer.Ordinal).FirstOrDefault();
                throw yaml.Error(modelPathNode, $"`model_path` of {what} is the folder {folder}, not a model file",
                    inside is null ? "give the path of a .gguf file; this folder holds none" : $"give the path of a .gguf file, such as `{Path.Combine(modelPath, Path.GetFileName(inside))}`");
            }

            local = new LocalModelConfig(
                modelPath,
                f.TryGetValue("gpu_layers", out var gpu) ? ReadGpuLayers(yaml, gpu, what) : -1,
                f.TryGetValue("context_size", out var ctx) ? yaml.Integer(ctx, $"`context_size` of {what}", 64, 1 << 20) : 4096,
                f.TryGetValue("threads", out var threads) ? yaml.Integer(threads, $"`threads` of {what}", 1, 1024) : null,
                f.TryGetValue("batch_size", out var batch) ? yaml.Integer(batch, $"`batch_size` of {what}", 1, 1 << 16) : 512,
                f.TryGetValue("parallel", out var parallel) ? yaml.Integer(parallel, $"`parallel` of {what}", 1, 256) : 1,
                f.TryGetValue("scheduling", out var scheduling) ? ReadScheduling(yaml, scheduling, what) : "sequences",
                f.TryGetValue("build", out var build) ? ModelRecipes.Read(yaml, build, what) : null)
            {
                ConstrainStructuredOutput = !f.TryGetValue("grammar", out var grammar) || yaml.Boolean(grammar, $"`grammar` of {what}"),
            };
            model = yaml.OptionalString(f, "model", $"`model` of {what}") ?? Path.GetFileNameWithoutExtension(modelPath);
        }
        else
        {
            model = yaml.String(yaml.Required(f, node, "model", what, "gpt-4o-mini"), $"`model` of {what}");
        }

        var baseUrl = yaml.OptionalString(f, "base_url", $"`base_url` of {what}");
        if (baseUrl is not null && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            throw yaml.Error(f["base_url"], $"`base_url` of {what} is `{baseUrl}`, which is not an http(s) URL", "write the full URL, such as `https://api.openai.com/v1`");
        }

        var apiKeyEnv = yaml.OptionalString(f, "api_key_env", $"`api_key_env` of {what}");
        if (apiKeyEnv is not null && (apiKeyEnv.StartsWith("sk-", StringComparison.Ordinal) || apiKeyEnv.Any(char.IsWhiteSpace)))
        {
            // A key pasted where a variable name belongs must not be echoed back anywhere.
            throw yaml.Error(f["api_key_env"], $"`api_key_env` of {what} looks like a secret, not an environment variable name", "put the key in an environment variable and write its name here, such as `OPENAI_API_KEY`");
        }

        var prices = Prices.Free;
        if (f.TryGetValue("prices", out var pricesNode))
        {
            var p = yaml.Fields(pricesNode, $"`prices` of {what}", PriceKeys);
            var input = p.TryGetValue("input", out var i) ? yaml.Number(i, $"`prices.input` of {what} (USD per million tokens)", 0, 10_000) : 0;
            var output = p.TryGetValue("output", out var o) ? yaml.Number(o, $"`prices.output` of {what} (USD per million tokens)", 0, 10_000) : 0;
            var cached = p.TryGetValue("cached_input", out var c) ? yaml.Number(c, $"`prices.cached_input` of {what} (USD per million tokens)", 0, 10_000) : input;
            prices = new Prices(input, cached, output);
        }

        var sampling = new SamplingConfig(null, null, null, null);
        if (f.TryGetValue("sampling", out var samplingNode))
        {
            var s = yaml.Fields(samplingNode, $"`sampling` of {what}", SamplingKeys);
            sampling = new SamplingConfig(
                s.TryGetValue("temperature", out var t) ? yaml.Number(t, $"`sampling.temperature` of {what}", 0, 2) : null,
                s.TryGetValue("top_p", out var tp) ? yaml.Number(tp, $"`sampling.top_p` of {what}", 0, 1) : null,
                s.TryGetValue("max_tokens", out var mt) ? yaml.Integer(mt, $"`sampling.max_tokens` of {what}", 1, 1_000_000) : null,
                s.TryGetValue("seed", out var sd) ? yaml.Integer(sd, $"`sampling.seed` of {what}", 0, int.MaxValue) : null);
        }

        var breaker = BreakerConfig.Default;
        if (f.TryGetValue("circuit_breaker", out var breakerNode))
        {
            var b = yaml.Fields(breakerNode, $"`circuit_breaker` of {what}", BreakerKeys);
            breaker = new BreakerConfig(
                b.TryGetValue("failures", out var bf) ? yaml.Integer(bf, $"`circuit_breaker.failures` of {what} (0 turns the breaker off)", 0, 100_000) : breaker.Failures,
                b.TryGetValue("open_s", out var bo) ? TimeSpan.FromSeconds(yaml.Number(bo, $"`circuit_breaker.open_s` of {what}", 0.001, 86_400)) : breaker.OpenFor,
                b.TryGetValue("max_probes", out var bp) ? yaml.Integer(bp, $"`circuit_breaker.max_probes` of {what}", 1, 100_000) : breaker.MaxFailedProbes);
        }

        var protection = new ProtectionConfig(
            f.TryGetValue("rpm", out var rpm) ? yaml.Number(rpm, $"`rpm` of {what} (requests per minute)", 0.001, 1e9) : null,
            f.TryGetValue("tpm", out var tpm) ? yaml.Number(tpm, $"`tpm` of {what} (tokens per minute)", 1, 1e12) : null,
            f.TryGetValue("max_usd", out var usd) ? yaml.Number(usd, $"`max_usd` of {what} (USD per run)", 0, 1e9) : null,
            breaker);

        return TokenizerSection.Apply(yaml, f, new TargetConfig(
            name,
            provider,
            model,
            baseUrl,
            apiKeyEnv,
            prices,
            f.TryGetValue("max_concurrency", out var mc) ? yaml.Integer(mc, $"`max_concurrency` of {what}", 1, 4096) : 8,
            TimeSpan.FromSeconds(f.TryGetValue("timeout_s", out var to) ? yaml.Number(to, $"`timeout_s` of {what}", 0.001, 86_400) : 120),
            f.TryGetValue("max_retries", out var mr) ? yaml.Integer(mr, $"`max_retries` of {what}", 0, 100) : 6,
            sampling,
            local,
            yaml.Where(node))
        {
            Protection = protection,
            ChatClient = chatClient,
        });
    }

    /// <summary>Where the scanner last read a whole token: the place to look when the parser fails without naming one.</summary>
    private static (int Line, int Column) LastReadablePosition(string text)
    {
        var scanner = new Scanner(new StringReader(text));
        var last = new Mark();
        try
        {
            while (scanner.MoveNext())
            {
                last = scanner.Current!.Start;
            }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
        }

        return ((int)last.Line, (int)last.Column);
    }

    private static string ReadScheduling(YamlNodes yaml, YamlNode node, string what)
    {
        var value = yaml.String(node, $"`scheduling` of {what}");
        return value is "sequences" or "pool"
            ? value
            : throw yaml.Error(node, $"`scheduling` of {what} is `{value}`", "use `sequences` (one context, requests decoded together) or `pool` (a context and thread per request)");
    }

    private static int ReadGpuLayers(YamlNodes yaml, YamlNode node, string what) =>
        node is YamlScalarNode { Value: "all" } ? -1 : yaml.Integer(node, $"`gpu_layers` of {what} (`all` or a number of layers)", 0, 100_000);

    private static SuiteConfig ReadSuite(YamlNodes yaml, string name, YamlNode node) => SuiteDefinitions.ReadEntry(yaml, name, node);

    private static ComparisonConfig ReadComparison(YamlNodes yaml, string name, YamlNode node, Dictionary<string, TargetConfig> targets, Dictionary<string, SuiteConfig> suites)
    {
        var what = $"comparison `{name}`";
        var f = yaml.Fields(node, what, ComparisonKeys);
        var baseline = ReadTargetReference(yaml, yaml.Required(f, node, "baseline", what, "gpt-a"), $"`baseline` of {what}", targets);
        var candidate = ReadTargetReference(yaml, yaml.Required(f, node, "candidate", what, "open-b"), $"`candidate` of {what}", targets);
        if (baseline == candidate)
        {
            throw yaml.Error(f["candidate"], $"{what} compares target `{baseline}` with itself", "name two different targets as baseline and candidate");
        }

        var suitesNode = yaml.Required(f, node, "suites", what, "[mmlu]");
        var suiteNames = yaml.StringList(suitesNode, $"`suites` of {what}");
        if (suiteNames.Count == 0)
        {
            throw yaml.Error(suitesNode, $"{what} lists no suites", $"list at least one of: {string.Join(", ", suites.Keys)}");
        }

        foreach (var suite in suiteNames.Where(s => !suites.ContainsKey(s)))
        {
            var nearest = YamlNodes.Nearest(suite, suites.Keys);
            throw yaml.Error(suitesNode, $"{what} names suite `{suite}`, which is not defined under `suites`", nearest is null ? $"define it under `suites:` or use one of: {string.Join(", ", suites.Keys)}" : $"did you mean `{nearest}`?");
        }

        var gates = f.TryGetValue("gates", out var gatesNode) ? ReadGates(yaml, gatesNode, what) : GatesConfig.Default;
        return new ComparisonConfig(name, baseline, candidate, suiteNames, gates, yaml.Where(node));
    }

    private static string ReadTargetReference(YamlNodes yaml, YamlNode node, string what, Dictionary<string, TargetConfig> targets)
    {
        var name = yaml.String(node, what);
        if (targets.ContainsKey(name))
        {
            return name;
        }

        var nearest = YamlNodes.Nearest(name, targets.Keys);
        throw yaml.Error(node, $"{what} names target `{name}`, which is not defined under `targets`", nearest is null ? $"define it under `targets:` or use one of: {string.Join(", ", targets.Keys)}" : $"did you mean `{nearest}`?");
    }

    internal static GatesConfig ReadGates(YamlNodes yaml, YamlNode node, string owner)
    {
        var what = $"`gates` of {owner}";
        var f = yaml.Fields(node, what, GateKeys);
        QualityGateConfig? quality = null;
        if (f.TryGetValue("quality", out var q))
        {
            var qf = yaml.Fields(q, $"`gates.quality` of {owner}", QualityKeys);
            quality = new QualityGateConfig(
                qf.TryGetValue("margin", out var m) ? Quantities.MarginPoints(yaml.String(m, "margin"), $"`gates.quality.margin` of {owner}", (problem, fix) => yaml.Error(m, problem, fix)) : 2.0,
                qf.TryGetValue("confidence", out var c) ? Confidence(yaml, c, $"`gates.quality.confidence` of {owner}") : 0.95,
                qf.TryGetValue("superiority", out var s) && yaml.Boolean(s, $"`gates.quality.superiority` of {owner}"));
        }

        var latency = new List<LatencyGateConfig>();
        if (f.TryGetValue("latency", out var l))
        {
            var entries = l is YamlSequenceNode seq ? seq.Children.ToList() : [l];
            foreach (var entry in entries)
            {
                var lf = yaml.Fields(entry, $"a latency gate of {owner}", LatencyKeys);
                latency.Add(new LatencyGateConfig(
                    yaml.Enum(yaml.Required(lf, entry, "metric", $"a latency gate of {owner}", "ttft"), $"`metric` of a latency gate of {owner}", LatencyMetrics),
                    lf.TryGetValue("percentile", out var p) ? yaml.Number(p, $"`percentile` of a latency gate of {owner}", 1, 100) : 95,
                    yaml.Number(yaml.Required(lf, entry, "max_ratio", $"a latency gate of {owner}", "1.5"), $"`max_ratio` of a latency gate of {owner}", 0.001, 1000)));
            }
        }

        CostGateConfig? cost = null;
        if (f.TryGetValue("cost", out var co))
        {
            var cf = yaml.Fields(co, $"`gates.cost` of {owner}", CostKeys);
            cost = new CostGateConfig(yaml.Number(yaml.Required(cf, co, "max_ratio", $"`gates.cost` of {owner}", "1.0"), $"`gates.cost.max_ratio` of {owner}", 0.0001, 1000));
        }

        return new GatesConfig(quality, latency, cost);
    }

    private static double Confidence(YamlNodes yaml, YamlNode node, string what)
    {
        var confidence = Quantities.Proportion(yaml.String(node, what), what, (problem, fix) => yaml.Error(node, problem, fix));
        return confidence is >= 0.5 and <= 0.9999
            ? confidence
            : throw yaml.Error(node, $"{what} is {yaml.String(node, what)}, outside 0.5 to 0.9999", "use a confidence level such as `0.95` or `95%`");
    }
}
