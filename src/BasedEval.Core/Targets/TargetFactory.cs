using BasedEval.Core.Config;

namespace BasedEval.Core.Targets;

/// <summary>
/// Makes a target from its configuration. Remote providers are built in; the in-process llama.cpp provider registers
/// itself from its own assembly so that Core never loads native code.
/// </summary>
public sealed class TargetFactory
{
    private readonly Dictionary<ProviderKind, Func<TargetConfig, ITarget>> _makers = new()
    {
        [ProviderKind.OpenAi] = config => new OpenAiChatTarget(config, ApiKey(config)),
        [ProviderKind.Anthropic] = config => new AnthropicTarget(config, ApiKey(config)),
    };

    public TargetFactory Register(ProviderKind provider, Func<TargetConfig, ITarget> maker)
    {
        _makers[provider] = maker;
        return this;
    }

    public ITarget Create(TargetConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (_makers.TryGetValue(config.Provider, out var maker))
        {
            return maker(config);
        }

        throw config.Provider == ProviderKind.ChatClient
            ? new ConfigException(config.Location.File, config.Location.Line, config.Location.Column,
                $"target `{config.Name}` uses provider chatclient, whose IChatClient an application registers in code; the basedeval command has none",
                "run this evals.yaml from your application with BasedEval.Extensions.AI (README: IChatClient), or use provider openai, anthropic or llamacpp")
            : new ConfigException(config.Location.File, config.Location.Line, config.Location.Column, $"provider `{config.Provider}` of target `{config.Name}` is not available in this build", "use openai, anthropic or llamacpp");
    }

    /// <summary>Keys come only from the environment; the variable's name is the only trace of them in config, store and reports.</summary>
    private static string? ApiKey(TargetConfig config)
    {
        if (config.ApiKeyEnv is null)
        {
            return null;
        }

        var key = Environment.GetEnvironmentVariable(config.ApiKeyEnv);
        if (string.IsNullOrEmpty(key))
        {
            throw new ConfigException(config.Location.File, config.Location.Line, config.Location.Column,
                $"target `{config.Name}` reads its API key from the environment variable {config.ApiKeyEnv}, which is not set",
                $"export {config.ApiKeyEnv}=<your key> before running, or remove `api_key_env` for a host that needs no key");
        }

        return key;
    }
}
