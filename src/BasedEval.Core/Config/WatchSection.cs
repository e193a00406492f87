using YamlDotNet.RepresentationModel;

namespace BasedEval.Core.Config;

/// <summary>
/// The top-level <c>watch:</c> section, read once the targets, suites and comparisons it names are known. A source's
/// target template is checked here, filled with an example id, so a mistake in it is a configuration error (exit 2)
/// before anything is listed or sent, naming the line as any target's mistake would.
/// </summary>
internal static class WatchSection
{
    public const string TopKey = "watch";

    private static readonly string[] WatchKeys = ["production", "comparison", "suites", "gates", "limit", "sources"];
    private static readonly string[] SourceKeys = ["kind", "base_url", "api_key_env", "folder", "include", "exclude", "target"];
    private static readonly string[] FilledKeys = ["model", "model_path", "build"];
    private static readonly string[] ComparisonOwnKeys = ["suites", "gates"];
    private static readonly string[] HostOnlyKeys = ["base_url", "api_key_env"];

    private static readonly Dictionary<string, ReleaseSourceKind> Kinds = new(StringComparer.Ordinal)
    {
        ["openai"] = ReleaseSourceKind.OpenAi,
        ["anthropic"] = ReleaseSourceKind.Anthropic,
        ["gguf_folder"] = ReleaseSourceKind.GgufFolder,
    };

    public static WatchConfig Read(YamlNodes yaml, YamlNode node, EvalConfig config)
    {
        var f = yaml.Fields(node, "`watch`", WatchKeys);
        ComparisonConfig? comparison = null;
        if (yaml.OptionalString(f, "comparison", "`watch.comparison`") is { } comparisonName)
        {
            if (!config.Comparisons.TryGetValue(comparisonName, out comparison))
            {
                throw yaml.Error(f["comparison"], $"`watch.comparison` names `{comparisonName}`, which is not defined under `comparisons`",
                    YamlNodes.Nearest(comparisonName, config.Comparisons.Keys.ToList()) is { } near ? $"did you mean `{near}`?" : "define it under `comparisons:`, or give `suites:` (and `gates:`) under `watch:` instead");
            }

            foreach (var own in ComparisonOwnKeys.Where(f.ContainsKey))
            {
                throw yaml.Error(f[own], $"`watch` names comparison `{comparisonName}` and also gives `{own}`", $"remove `{own}` to use the comparison's, or remove `comparison`");
            }
        }

        var production = yaml.OptionalString(f, "production", "`watch.production`") ?? comparison?.Baseline
            ?? throw yaml.Error(node, "`watch` names no production target", "add `production: <the target you run today>` under `watch:`");
        if (!config.Targets.ContainsKey(production))
        {
            throw yaml.Error(f.GetValueOrDefault("production") ?? node, $"`watch.production` names target `{production}`, which is not defined under `targets`",
                YamlNodes.Nearest(production, config.Targets.Keys.ToList()) is { } near ? $"did you mean `{near}`?" : $"use one of: {string.Join(", ", config.Targets.Keys)}");
        }

        IReadOnlyList<string> suites;
        if (comparison is not null)
        {
            suites = comparison.Suites;
        }
        else
        {
            var suitesNode = yaml.Required(f, node, "suites", "`watch`", "[mmlu]");
            suites = yaml.StringList(suitesNode, "`watch.suites`");
            if (suites.Count == 0)
            {
                throw yaml.Error(suitesNode, "`watch.suites` lists no suites", $"list at least one of: {string.Join(", ", config.Suites.Keys)}");
            }

            foreach (var suite in suites.Where(s => !config.Suites.ContainsKey(s)))
            {
                throw yaml.Error(suitesNode, $"`watch.suites` names suite `{suite}`, which is not defined under `suites`",
                    YamlNodes.Nearest(suite, config.Suites.Keys.ToList()) is { } near ? $"did you mean `{near}`?" : $"use one of: {string.Join(", ", config.Suites.Keys)}");
            }
        }

        var gates = comparison?.Gates ?? (f.TryGetValue("gates", out var gatesNode) ? ConfigLoader.ReadGates(yaml, gatesNode, "`watch`") : GatesConfig.Default);
        var limit = f.TryGetValue("limit", out var limitNode) ? yaml.Integer(limitNode, "`watch.limit` (items per suite)", 1, int.MaxValue) : (int?)null;

        var sourcesNode = yaml.Required(f, node, "sources", "`watch`", "{ vendor: { kind: openai, base_url: https://api.example.com/v1 } }");
        var sources = new Dictionary<string, ReleaseSourceConfig>(StringComparer.Ordinal);
        foreach (var (key, value) in yaml.Mapping(sourcesNode, "`watch.sources`").Children)
        {
            var name = yaml.String(key, "a source name");
            if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal))
            {
                throw yaml.Error(key, $"source name `{name}` is empty or holds a `/`", "name the source with letters, digits, `-` or `_`: it prefixes the target name of every model it lists");
            }

            sources[name] = ReadSource(yaml, name, value, config);
        }

        if (sources.Count == 0)
        {
            throw yaml.Error(sourcesNode, "`watch.sources` lists no source", "add one, such as `vendor: { kind: openai, base_url: https://api.example.com/v1 }`");
        }

        return new WatchConfig(production, suites, gates, limit, sources, yaml.Where(node));
    }

    private static ReleaseSourceConfig ReadSource(YamlNodes yaml, string name, YamlNode node, EvalConfig config)
    {
        var what = $"source `{name}` of `watch`";
        var f = yaml.Fields(node, what, SourceKeys);
        var kind = yaml.Enum(yaml.Required(f, node, "kind", what, "openai"), $"`kind` of {what}", Kinds);
        string address;
        if (kind == ReleaseSourceKind.GgufFolder)
        {
            foreach (var remote in HostOnlyKeys.Where(f.ContainsKey))
            {
                throw yaml.Error(f[remote], $"`{remote}` does not apply to a gguf_folder source", $"remove `{remote}`; {what} reads a folder of model files");
            }

            address = config.ResolvePath(yaml.String(yaml.Required(f, node, "folder", what, "models"), $"`folder` of {what}"));
        }
        else
        {
            if (f.TryGetValue("folder", out var folder))
            {
                throw yaml.Error(folder, $"`folder` applies only to a gguf_folder source, but {what} is a host", "remove `folder`, or write `kind: gguf_folder`");
            }

            address = yaml.OptionalString(f, "base_url", $"`base_url` of {what}") ?? (kind == ReleaseSourceKind.OpenAi ? "https://api.openai.com/v1" : "https://api.anthropic.com");
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw yaml.Error(f["base_url"], $"`base_url` of {what} is `{address}`, which is not an http(s) URL", "write the full URL, such as `https://api.openai.com/v1`");
            }
        }

        var apiKeyEnv = yaml.OptionalString(f, "api_key_env", $"`api_key_env` of {what}");
        if (apiKeyEnv is not null && (apiKeyEnv.StartsWith("sk-", StringComparison.Ordinal) || apiKeyEnv.Any(char.IsWhiteSpace)))
        {
            throw yaml.Error(f["api_key_env"], $"`api_key_env` of {what} looks like a secret, not an environment variable name", "put the key in an environment variable and write its name here, such as `OPENAI_API_KEY`");
        }

        var include = f.TryGetValue("include", out var inc) ? yaml.StringList(inc, $"`include` of {what}") : [];
        var exclude = f.TryGetValue("exclude", out var exc) ? yaml.StringList(exc, $"`exclude` of {what}") : [];
        var template = f.GetValueOrDefault("target");
        if (template is not null)
        {
            var templateFields = yaml.Mapping(template, $"`target` of {what}");
            foreach (var (keyNode, _) in templateFields.Children)
            {
                if (keyNode is YamlScalarNode { Value: { } key } && FilledKeys.Contains(key))
                {
                    throw yaml.Error(keyNode, $"`{key}` in the target template of {what} is filled from the listing", $"remove `{key}`: each listed model is run as itself");
                }
            }
        }

        var source = new ReleaseSourceConfig(name, kind, address, apiKeyEnv, include, exclude, _ => throw new InvalidOperationException(), yaml.Where(node));
        source = source with { TargetFor = id => FillTemplate(yaml, source, template, id) };

        // Fill the template once now: its mistakes are the configuration's, found before anything is listed or sent.
        source.TargetFor(kind == ReleaseSourceKind.GgufFolder ? "example.gguf" : "example-model");
        return source;
    }

    private static TargetConfig FillTemplate(YamlNodes yaml, ReleaseSourceConfig source, YamlNode? template, string id)
    {
        var mapping = new YamlMappingNode();
        if (template is YamlMappingNode given)
        {
            foreach (var (key, value) in given.Children)
            {
                mapping.Add(key, value);
            }
        }

        void Default(string key, string value)
        {
            if (!mapping.Children.Keys.Any(k => k is YamlScalarNode { Value: var name } && name == key))
            {
                mapping.Add(key, value);
            }
        }

        Default("provider", source.Kind switch
        {
            ReleaseSourceKind.OpenAi => "openai",
            ReleaseSourceKind.Anthropic => "anthropic",
            _ => "llamacpp",
        });
        if (source.Kind == ReleaseSourceKind.GgufFolder)
        {
            mapping.Add("model_path", Path.Combine(source.Address, id));
        }
        else
        {
            mapping.Add("model", id);
            Default("base_url", source.Address);
            if (source.ApiKeyEnv is not null)
            {
                Default("api_key_env", source.ApiKeyEnv);
            }
        }

        var name = source.TargetName(id);
        var target = ConfigLoader.ReadTarget(yaml, name, mapping) with { Location = template is null ? source.Location : yaml.Where(template) };
        return WorkloadSection.ReadGpuPricing(yaml, mapping, name) is { } gpu ? target with { Gpu = gpu } : target;
    }
}
