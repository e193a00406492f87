using BasedEval.Core.Config;
using BasedEval.Core.Running;
using BasedEval.Core.Storage;
using BasedEval.Core.Targets;
using BasedEval.LlamaCpp;
using Microsoft.Extensions.AI;

namespace BasedEval.Extensions.AI;

/// <summary>What an application adds to evals.yaml when it runs BasedEval in code.</summary>
public sealed class EvalHostOptions
{
    /// <summary>Clients that targets with <c>provider: chatclient</c> name under <c>client:</c>.</summary>
    public IDictionary<string, IChatClient> ChatClients { get; } = new Dictionary<string, IChatClient>(StringComparer.Ordinal);

    /// <summary>
    /// Looks up a client by name where <see cref="ChatClients"/> has none, such as a dependency-injection container's
    /// keyed registrations: <c>name =&gt; services.GetKeyedService&lt;IChatClient&gt;(name)</c>.
    /// </summary>
    public Func<string, IChatClient?>? ResolveChatClient { get; init; }

    /// <summary>Told of runs starting, retries and runs finishing; nothing by default.</summary>
    public IRunObserver Observer { get; init; } = NullRunObserver.Instance;

    /// <summary>Send every request even when the store holds its answer (the command line's --no-cache).</summary>
    public bool BypassCache { get; init; }
}

/// <summary>
/// BasedEval as a library: the same evals.yaml, store, runner, gates and reports as `basedeval compare`, run from code,
/// so an xunit test can assert a verdict and an application can evaluate the IChatClients it already holds.
/// </summary>
public sealed class EvalHost : IAsyncDisposable
{
    private readonly Evaluation _evaluation;
    private readonly TargetFactory _targets;

    private EvalHost(EvalConfig config, IResultStore store, TargetFactory targets, EvalHostOptions options)
    {
        Config = config;
        Store = store;
        _targets = targets;
        _evaluation = new Evaluation(config, store, targets, options.Observer) { BypassCache = options.BypassCache };
    }

    public EvalConfig Config { get; }

    public IResultStore Store { get; }

    /// <summary>Reads and checks evals.yaml (a <see cref="ConfigException"/> names the file, line and fix) and opens its store.</summary>
    public static async Task<EvalHost> OpenAsync(string configPath, EvalHostOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EvalHostOptions();
        var config = ConfigLoader.Load(configPath);
        var store = await ResultStores.OpenAsync(config.StorePath, cancellationToken, config.StoreTimeout);
        return new EvalHost(config, store, Targets(options), options);
    }

    /// <summary>The targets evals.yaml can name: the built-in providers, llamacpp, and chatclient resolved from <paramref name="options"/>.</summary>
    public static TargetFactory Targets(EvalHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return LlamaCppTargets.Factory().Register(ProviderKind.ChatClient, config =>
        {
            var name = config.ChatClient!.Name;
            var client = options.ChatClients.TryGetValue(name, out var registered) ? registered : options.ResolveChatClient?.Invoke(name);
            return client is not null
                ? new ChatClientTarget(config, client)
                : throw new ConfigException(config.Location.File, config.Location.Line, config.Location.Column,
                    $"target `{config.Name}` names the chat client `{name}`, which the application did not register",
                    $"add it before opening: options.ChatClients[\"{name}\"] = client (registered: {string.Join(", ", options.ChatClients.Keys.DefaultIfEmpty("none"))})");
        });
    }

    /// <summary>The comparison evals.yaml names (the only one, when <paramref name="comparison"/> is null); reports are written as `compare` writes them.</summary>
    public Task<CompareOutcome> CompareAsync(string? comparison = null, int? limit = null, CancellationToken cancellationToken = default) =>
        _evaluation.CompareAsync(new CompareRequest(comparison, null, null, limit), cancellationToken);

    public Task<CompareOutcome> CompareAsync(CompareRequest request, CancellationToken cancellationToken = default) =>
        _evaluation.CompareAsync(request, cancellationToken);

    public Task<RunOutcome> RunAsync(RunRequest request, CancellationToken cancellationToken = default) =>
        _evaluation.RunAsync(request, cancellationToken);

    /// <summary>A target of evals.yaml as an IChatClient (a local model is built from its recipe first); disposing the client frees the target.</summary>
    public IChatClient GetChatClient(string targetName)
    {
        if (!Config.Targets.TryGetValue(targetName, out var target))
        {
            throw new ConfigException($"there is no target `{targetName}` in {Config.SourcePath}",
                $"name one of: {string.Join(", ", Config.Targets.Keys)}");
        }

        return new TargetChatClient(_targets.Create(target), ownsTarget: true);
    }

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
