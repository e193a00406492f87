using BasedEval.Core.Tokens;

namespace BasedEval.Core.Config;

/// <summary>The checked, typed form of evals.yaml (schema version 1). Every value here has passed validation.</summary>
public sealed record EvalConfig(
    string SourcePath,
    string ConfigHash,
    string StorePath,
    string ReportsDirectory,
    int Seed,
    IReadOnlyDictionary<string, TargetConfig> Targets,
    IReadOnlyDictionary<string, SuiteConfig> Suites,
    IReadOnlyDictionary<string, ComparisonConfig> Comparisons,
    IReadOnlyDictionary<string, WorkloadConfig>? Workloads = null,
    SloConfig? Slos = null)
{
    public const double DefaultStoreTimeoutSeconds = 30;

    /// <summary>How long to wait for a store another process holds locked before giving up (<c>store_timeout_s</c>).</summary>
    public TimeSpan StoreTimeout { get; init; } = TimeSpan.FromSeconds(DefaultStoreTimeoutSeconds);

    /// <summary>The release watch (<c>watch:</c>); null where evals.yaml has none.</summary>
    public WatchConfig? Watch { get; init; }

    /// <summary>Resolves a path written in evals.yaml relative to the file's own folder, the way a reader of the file expects.</summary>
    public string ResolvePath(string path) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(SourcePath)) ?? ".", path));
}

/// <summary>Where a value came from in the YAML file, so later checks can still name the place.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

public enum ProviderKind
{
    OpenAi,
    Anthropic,
    LlamaCpp,

    /// <summary>An IChatClient a host application registered in code under a name (BasedEval.Extensions.AI).</summary>
    ChatClient,
}

/// <summary>USD per million tokens.</summary>
public sealed record Prices(double Input, double CachedInput, double Output)
{
    public static Prices Free { get; } = new(0, 0, 0);

    public double CostUsd(int inputTokens, int cachedInputTokens, int outputTokens)
    {
        var uncachedInput = Math.Max(0, inputTokens - cachedInputTokens);
        return ((uncachedInput * Input) + (cachedInputTokens * CachedInput) + (outputTokens * Output)) / 1_000_000.0;
    }
}

public sealed record SamplingConfig(double? Temperature, double? TopP, int? MaxTokens, int? Seed);

/// <summary>
/// Settings of an in-process llama.cpp target. GpuLayers: -1 means all layers. Scheduling: "sequences" decodes the
/// requests in flight together in one context; "pool" gives each its own context and thread. Build: how to make the
/// model file when it is missing, null where it must already exist.
/// </summary>
public sealed record LocalModelConfig(string ModelPath, int GpuLayers, int ContextSize, int? Threads, int BatchSize, int ParallelSlots, string Scheduling = "sequences", ModelRecipe? Build = null)
{
    /// <summary>
    /// Whether tool calls and response_format answers are constrained by a grammar derived from their schemas, the way
    /// llama-server does; false leaves the schema in the prompt only.
    /// </summary>
    public bool ConstrainStructuredOutput { get; init; } = true;
}

public sealed record TargetConfig(
    string Name,
    ProviderKind Provider,
    string Model,
    string? BaseUrl,
    string? ApiKeyEnv,
    Prices Prices,
    int MaxConcurrency,
    TimeSpan Timeout,
    int MaxRetries,
    SamplingConfig Sampling,
    LocalModelConfig? Local,
    SourceLocation Location,
    GpuPricing? Gpu = null)
{
    /// <summary>How the runner spares this target: rate limits, circuit breaker and spend cap. Defaults leave rates and spend unlimited.</summary>
    public ProtectionConfig Protection { get; init; } = ProtectionConfig.Default;

    /// <summary>Provider chatclient: the name the client was registered under, and the model id to ask it for (null: the client's own).</summary>
    public ChatClientReference? ChatClient { get; init; }

    /// <summary>The tokenizer evals.yaml names (<c>tokenizer:</c>); null takes the provider's and model family's default.</summary>
    public TokenizerSpec? ConfiguredTokenizer { get; init; }

    /// <summary>The context window evals.yaml gives a remote target (<c>context:</c>), in tokens.</summary>
    public int? ConfiguredContext { get; init; }

    /// <summary>What counts this target's tokens where its server reports none, and before any call.</summary>
    public TokenizerSpec Tokenizer => ConfiguredTokenizer ?? TokenizerDefaults.For(Provider, Model, Local?.ModelPath);

    /// <summary>Tokens a request may hold, prompt and answer together: the local context size, the configured window, or the model family's; null where none is known.</summary>
    public int? ContextWindow => Local?.ContextSize ?? ConfiguredContext ?? TokenizerDefaults.ContextWindow(Provider, Model);
}

public sealed record ChatClientReference(string Name, string? ModelId);

/// <summary>
/// Limits the runner honours for one target. Null rates and spend mean unlimited. Token rates count what the server
/// reports (input plus output), estimated before a request is sent and corrected when its usage arrives.
/// </summary>
public sealed record ProtectionConfig(double? RequestsPerMinute, double? TokensPerMinute, double? MaxUsd, BreakerConfig Breaker)
{
    public static ProtectionConfig Default { get; } = new(null, null, null, BreakerConfig.Default);
}

/// <summary>
/// Opens after <see cref="Failures"/> consecutive failed attempts (0 disables it), sends nothing for <see cref="OpenFor"/>,
/// then lets one probe through; after <see cref="MaxFailedProbes"/> failed probes in a row the run stops, resumable.
/// </summary>
public sealed record BreakerConfig(int Failures, TimeSpan OpenFor, int MaxFailedProbes)
{
    public static BreakerConfig Default { get; } = new(10, TimeSpan.FromSeconds(10), 6);
}

public enum SuiteFormat
{
    Mmlu,
    Gpqa,
    HumanEval,
    Structured,
}

/// <summary>
/// One suite as a run uses it: written inline in evals.yaml, or read from a suite file under suites/ (see suites/README.md)
/// with the entry's overrides applied. Paths are absolute once loading is done.
/// </summary>
public sealed record SuiteConfig(
    string Name,
    SuiteFormat Format,
    string Path,
    string Split,
    string Layout,
    int? Limit,
    int Seed,
    SourceLocation Location)
{
    /// <summary>The suite file the definition came from; null for an inline entry.</summary>
    public string? DefinitionFile { get; init; }

    public string? Description { get; init; }

    /// <summary>Prompt template name; null means the format's default.</summary>
    public string? Prompt { get; init; }

    /// <summary>Scorer name, implied by the format and prompt; null means the format's default.</summary>
    public string? Scorer { get; init; }

    /// <summary>Solved dev-split examples shown before each question (MMLU).</summary>
    public int Shots { get; init; }

    /// <summary>How often each question is asked, each time with a fresh seeded choice order (GPQA).</summary>
    public int Repeats { get; init; } = 1;

    /// <summary>Times each item is asked; above 1 only makes sense when sampling (temperature above 0). Scores are reduced per item.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>When non-empty, only items with one of these slices (MMLU subjects, GPQA domains) are loaded.</summary>
    public IReadOnlyList<string> Subjects { get; init; } = [];

    /// <summary>Extra slice tags: an item with any listed slice also carries the group's name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> SliceGroups { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Limits on executed code (HumanEval); null means the defaults.</summary>
    public SandboxConfig? Sandbox { get; init; }

    /// <summary>Where `basedeval suites fetch` downloads the full dataset from; null when the suite has no public download.</summary>
    public FetchConfig? Fetch { get; init; }
}

/// <summary>Per-execution limits for code a model wrote. Null values take the sandbox defaults.</summary>
public sealed record SandboxConfig(double? TimeoutSeconds, int? MemoryMb, int? CpuSeconds, int? OutputKb, int? Parallel);

/// <summary>
/// The files of a public dataset: each is downloaded from <see cref="BaseUrl"/> plus its relative path, checked against its
/// SHA-256 and stored under the data folder in <see cref="Into"/> with the same relative path.
/// </summary>
public sealed record FetchConfig(string BaseUrl, string Into, IReadOnlyList<FetchFile> Files, string? Note);

public sealed record FetchFile(string Path, string Sha256);

public sealed record QualityGateConfig(double MarginPoints, double Confidence, bool RequireSuperiority);

public enum LatencyMetric
{
    Ttft,
    Tpot,
    E2e,
}

public sealed record LatencyGateConfig(LatencyMetric Metric, double Percentile, double MaxRatio);

public sealed record CostGateConfig(double MaxRatio);

public sealed record GatesConfig(QualityGateConfig? Quality, IReadOnlyList<LatencyGateConfig> Latency, CostGateConfig? Cost)
{
    public static GatesConfig Default { get; } = new(new QualityGateConfig(2.0, 0.95, false), [], null);
}

public sealed record ComparisonConfig(
    string Name,
    string Baseline,
    string Candidate,
    IReadOnlyList<string> Suites,
    GatesConfig Gates,
    SourceLocation Location);
